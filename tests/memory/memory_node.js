'use strict';
// RSS stays flat over many token calls (issue 8). Loads the PACKED package (`make node-pack`
// installs it under target/node-test; RDS_IAM_TEST_PROJECT overrides). Static credentials, no
// network. One line per scenario; exit 1 if any grew by more than MEMORY_LIMIT_MB after warm-up.
// Run with --expose-gc so that V8's garbage (not a leak) is collected before each reading.
const fs = require('node:fs');
const path = require('node:path');

const project = process.env.RDS_IAM_TEST_PROJECT || path.join(__dirname, '../../target/node-test');
const { Signer, sign } = require(require.resolve('rds-iam', { paths: [project] }));
const LIMIT_MB = Number(process.env.MEMORY_LIMIT_MB || 4);
const HOST = 'db.abc123.us-east-1.rds.amazonaws.com';
const credentials = {
  accessKeyId: 'AKIAMEMORYTEST000001',
  secretAccessKey: 'memory/secret/000000000000000000000001',
};

// Credential set number n: rotating keys from a vault, or one set per tenant.
function distinctCredentials(n) {
  const id = String(n).padStart(10, '0');
  return {
    accessKeyId: `AKIAMEMORY${id}`,
    secretAccessKey: `memory/secret/${id.padStart(26, '0')}`,
  };
}

function rssKb() {
  global.gc?.();
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return Number(m[1]);
}

const tick = () => new Promise(setImmediate);

// `step` runs `total` times in batches of 1000 with one event-loop turn between batches, as a
// server handling connections does. (napi-rs runs a Signer's native finalizer only when the loop
// turns: a synchronous loop of 90 000 `new Signer` holds ~1 KB each until then — ~93 MB peak,
// reused afterwards, not leaked; see tests/memory/README.md.)
//
// After the warm-up, RSS is read after each tenth of the remaining calls. glibc's heap moves by
// a few MB either way as finalizers free memory in another order than it was taken, so one
// reading against another is noise; a leak is growth that goes on. The check: the highest
// reading of the second half against the highest of the first half (the reading after the
// warm-up included). A leak of L bytes a call shows as about L × calls/2.
async function scenario(name, step, total, warmup) {
  const run = async (n) => {
    for (let done = 0; done < n; done += 1000) {
      for (let i = 0; i < Math.min(1000, n - done); i++) await step();
      await tick();
    }
  };
  await run(warmup);
  const before = rssKb();
  const heapBefore = process.memoryUsage().heapTotal;
  const readings = [];
  const t0 = process.hrtime.bigint();
  const tenth = (total - warmup) / 10;
  for (let part = 0; part < 10; part++) {
    await run(tenth);
    await tick();
    readings.push(rssKb());
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const firstPeak = Math.max(before, ...readings.slice(0, 5));
  const secondPeak = Math.max(...readings.slice(5));
  const grew = (secondPeak - firstPeak) / 1024;
  const heapGrew = (process.memoryUsage().heapTotal - heapBefore) / 1048576;
  const mb = (kb) => (kb / 1024).toFixed(1);
  const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
  const ok = grew <= LIMIT_MB;
  console.log(
    `node ${name}: ${total} calls in ${secs.toFixed(1)} s; RSS after ${warmup} warm-up ${mb(before)} MB, ` +
      `at the end ${mb(readings[9])} MB; peak of the second half vs the first ${signed(grew)} MB ` +
      `(V8 heap total ${signed(heapGrew)} MB; limit ${LIMIT_MB} MB): ${ok ? 'ok' : 'FAILED'}`,
  );
  return ok;
}

async function main() {
  const signer = new Signer({ host: HOST, user: 'app', credentials });
  let ok = await scenario(
    'cached signer.tokenSync()',
    () => signer.tokenSync(),
    1_000_000,
    100_000,
  );
  ok =
    (await scenario('cached await signer.token()', () => signer.token(), 1_000_000, 100_000)) && ok;
  ok =
    (await scenario(
      'new Signer(...) per call + tokenSync()',
      () => new Signer({ host: HOST, user: 'app', credentials }).tokenSync(),
      100_000,
      10_000,
    )) && ok;
  // Each Signer here holds its own credential cache and token slot (~1.4 KB native) until V8
  // finalizes it, so RSS climbs to a high-water mark set by how many Signers wait between
  // collections; the memory-test target pins V8's young generation so that mark is reached in
  // the warm-up. A leak would go on growing after it (issue 19 item 2).
  let n = 0;
  ok =
    (await scenario(
      'new Signer(...) with its own credentials + tokenSync() (issue 19 item 2)',
      () =>
        new Signer({ host: HOST, user: 'app', credentials: distinctCredentials(n++) }).tokenSync(),
      400_000,
      200_000,
    )) && ok;
  ok =
    (await scenario(
      'sign(...)',
      () => sign({ host: HOST, user: 'app', region: 'us-east-1', credentials }),
      100_000,
      10_000,
    )) && ok;
  process.exitCode = ok ? 0 : 1;
}

main();
