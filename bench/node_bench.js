// Node side of `make bench`: rds-iam next to @aws-sdk/rds-signer, in one process, one run.
// Prints one JSON object. Usage: node bench/node_bench.js [--quick]
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 9;
const HOST = 'db.abc123.us-east-1.rds.amazonaws.com';
const ROOT = path.join(__dirname, '..');
const rdsIam = require(path.join(ROOT, 'node', 'main.js'));
const { Signer: AwsSigner } = require('@aws-sdk/rds-signer');
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret',
  sessionToken: 'session',
};

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function perCallUs(fn, n) {
  const samples = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e3 / n);
  }
  return median(samples);
}

async function perCallAsyncUs(fn, n) {
  const samples = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e3 / n);
  }
  return median(samples);
}

function dirStats(dir) {
  let bytes = 0;
  let packages = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (
          fs.existsSync(path.join(p, 'package.json')) &&
          path.basename(path.dirname(p)).match(/^(node_modules|@.*)$/)
        )
          packages++;
        walk(p);
      } else if (e.isFile()) bytes += fs.statSync(p).size;
    }
  };
  walk(dir);
  return { mb: bytes / 1e6, packages };
}

const CHILD = (body) => `const t = process.hrtime.bigint();
(async () => { ${body}
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  // VmHWM, not maxRSS: the latter carries the forking parent's peak across exec.
  const hwm = require('fs').readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\\s+(\\d+)/)[1]
  console.log(ms, hwm) })()`;

// The require alone, in a fresh process (median of ROUNDS).
function requireMs(key, file) {
  const code = `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); console.log(Number(process.hrtime.bigint() - t) / 1e6)`;
  const runs = Array.from({ length: ROUNDS }, () =>
    Number(execFileSync(process.execPath, ['-e', code], { cwd: ROOT })),
  );
  return { [key]: median(runs) };
}

function startup(name, body, env) {
  const walls = [];
  const rss = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    const out = execFileSync(process.execPath, ['-e', CHILD(body)], { env, cwd: ROOT })
      .toString()
      .trim()
      .split(' ');
    walls.push(Number(process.hrtime.bigint() - t) / 1e6);
    rss.push(Number(out[1]) / 1024);
  }
  return {
    [`node_process_${name}_ms`]: median(walls),
    [`node_process_${name}_rss_mb`]: median(rss),
  };
}

async function main() {
  const at = new Date('2026-11-23T00:00:00Z');
  const res = {};
  res.node_fresh_us = perCallUs(
    () =>
      rdsIam.sign({ host: HOST, port: 5432, user: 'app', region: 'us-east-1', credentials, at }),
    2000,
  );
  const peer = new AwsSigner({
    hostname: HOST,
    port: 5432,
    username: 'app',
    region: 'us-east-1',
    credentials,
  });
  res.aws_sdk_fresh_us = await perCallAsyncUs(() => peer.getAuthToken(), QUICK ? 200 : 2000);
  const signer = new rdsIam.Signer({ host: HOST, port: 5432, user: 'app', credentials });
  await signer.token();
  res.node_cached_us = await perCallAsyncUs(() => signer.token(), QUICK ? 5000 : 50000);
  res.node_cached_sync_us = perCallUs(() => signer.tokenSync(), QUICK ? 20000 : 200000);
  res.node_cached_password_us = await perCallAsyncUs(() => signer.password(), QUICK ? 5000 : 50000);
  // A Signer that never reuses a token: cached credentials, a fresh signature per call.
  const noReuse = new rdsIam.Signer({
    host: HOST,
    port: 5432,
    user: 'app',
    credentials,
    reuseFor: 0,
  });
  res.node_reuse_for_0_us = await perCallAsyncUs(() => noReuse.token(), QUICK ? 500 : 5000);
  // An ElastiCache Serverless token (its peer, AWS's Python sample, is measured by py_bench.py).
  const cache = new rdsIam.Signer({
    host: 'my-cache',
    user: 'app',
    region: 'us-east-1',
    kind: 'elasticache-serverless',
    credentials,
  });
  cache.tokenSync();
  res.node_cache_cached_sync_us = perCallUs(() => cache.tokenSync(), QUICK ? 20000 : 200000);
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_REGION: 'us-east-1',
  };
  Object.assign(
    res,
    requireMs('node_require_ms', path.join(ROOT, 'node', 'main.js')),
    requireMs('aws_sdk_require_ms', require.resolve('@aws-sdk/rds-signer')),
    startup('bare', '', env),
    startup(
      'ours',
      `const m = require('./node/main.js'); await new m.Signer({ host: '${HOST}', user: 'app' }).token()`,
      env,
    ),
    startup(
      'aws_sdk',
      `const { Signer } = require('@aws-sdk/rds-signer'); await new Signer({ hostname: '${HOST}', port: 5432, username: 'app', region: 'us-east-1' }).getAuthToken()`,
      env,
    ),
  );
  // Installed footprint: each package alone in a fresh project.
  for (const [name, spec] of [
    ['ours', process.env.RDS_IAM_TARBALL],
    ['aws_sdk', `@aws-sdk/rds-signer@${require('@aws-sdk/rds-signer/package.json').version}`],
  ]) {
    if (!spec) continue;
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'rds-iam-bench-'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"b","private":true}');
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', spec], {
      cwd: dir,
      stdio: 'ignore',
    });
    if (r.status === 0) {
      const s = dirStats(path.join(dir, 'node_modules'));
      res[`node_${name}_installed_mb`] = s.mb;
      res[`node_${name}_packages`] = s.packages;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  Object.assign(res, await storm(1000));
  console.log(JSON.stringify(res));
}

// n concurrent password-hook calls (pg's `password: signer.password`) while the first
// credential fetch (local IMDS) takes 500 ms: how many signatures and credential fetches.
async function storm(n) {
  const { start } = require(path.join(ROOT, 'tests', 'fakeaws', 'fakeaws.js'));
  const fake = await start();
  try {
    await fake.configure({ imds: { delay_ms: 500 } });
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
    ])
      delete process.env[k];
    Object.assign(process.env, {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: fake.url,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'false',
    });
    rdsIam.clearCaches();
    const before = rdsIam.stats().signatures;
    const signer = new rdsIam.Signer({ host: HOST, port: 5432, user: 'storm' });
    const t = process.hrtime.bigint();
    const tokens = await Promise.all(
      Array.from({ length: n }, () => signer.password({ host: HOST })),
    );
    return {
      node_storm_calls: n,
      node_storm_signatures: rdsIam.stats().signatures - before,
      node_storm_credential_fetches: (await fake.counts()).imds_credentials || 0,
      node_storm_distinct_tokens: new Set(tokens).size,
      node_storm_ms: Number(process.hrtime.bigint() - t) / 1e6,
    };
  } finally {
    await fake.stop();
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
