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
async function scenario(name, step, total, warmup) {
  const run = async (n) => {
    for (let done = 0; done < n; done += 1000) {
      for (let i = 0; i < Math.min(1000, n - done); i++) await step();
      await tick();
    }
  };
  await run(warmup);
  const before = rssKb();
  const t0 = process.hrtime.bigint();
  await run(total - warmup);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await tick();
  const after = rssKb();
  const grew = (after - before) / 1024;
  const ok = grew <= LIMIT_MB;
  console.log(
    `node ${name}: ${total} calls in ${secs.toFixed(1)} s; RSS after ${warmup} warm-up ${(before / 1024).toFixed(1)} MB, ` +
      `at the end ${(after / 1024).toFixed(1)} MB, grew ${grew >= 0 ? '+' : ''}${grew.toFixed(2)} MB (limit ${LIMIT_MB} MB): ${ok ? 'ok' : 'FAILED'}`,
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
