'use strict';
// Quick side-by-side: rds-iam (the packed package in $RDS_IAM_TEST_PROJECT, or this checkout)
// vs @aws-sdk/rds-signer's getAuthToken(), in one run. `make node-bench`; prints JSON.
const { execFileSync } = require('node:child_process');
const { createRequire } = require('node:module');
const path = require('node:path');

const project = process.env.RDS_IAM_TEST_PROJECT || path.resolve(__dirname, '..');
const fromProject = createRequire(path.join(project, 'package.json'));
const entry = fromProject.resolve('rds-iam');
const sdkEntry = require.resolve('@aws-sdk/rds-signer');

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const db = { host: 'mydb.abc123.us-east-1.rds.amazonaws.com', port: 5432, user: 'app', region: 'us-east-1' };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** ms to require a module in a fresh process (median of n). */
function requireMs(file, n = 7) {
  const code = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});`
    + 'console.log(Number(process.hrtime.bigint()-t)/1e6)';
  return median(Array.from({ length: n }, () => Number(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' }))));
}

/** µs per call of fn (sync or async), after warm-up; median of 5 rounds. */
async function perCall(fn, n) {
  for (let i = 0; i < Math.min(n, 1000); i += 1) await fn(i);
  const rounds = [];
  for (let r = 0; r < 5; r += 1) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) await fn(i);
    rounds.push(Number(process.hrtime.bigint() - t) / 1e3 / n);
  }
  return median(rounds);
}

function perCallSync(fn, n) {
  for (let i = 0; i < Math.min(n, 1000); i += 1) fn(i);
  const rounds = [];
  for (let r = 0; r < 5; r += 1) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) fn(i);
    rounds.push(Number(process.hrtime.bigint() - t) / 1e3 / n);
  }
  return median(rounds);
}

async function main() {
  const result = { node: process.version, require_ms: {}, per_call_us: {} };
  result.require_ms['rds-iam'] = requireMs(entry);
  result.require_ms['@aws-sdk/rds-signer'] = requireMs(sdkEntry);

  const rdsIam = require(entry);
  const { Signer: SdkSigner } = require(sdkEntry);
  const signer = new rdsIam.Signer({ ...db, credentials });
  await signer.token();
  const fresh = new rdsIam.Signer({ ...db, credentials, reuseFor: 0 });
  const sdk = new SdkSigner({ hostname: db.host, port: db.port, username: db.user, region: db.region, credentials });
  const t0 = Date.UTC(2026, 0, 1);

  result.per_call_us['rds-iam token() cached'] = await perCall(() => signer.token(), 100_000);
  result.per_call_us['rds-iam password() cached'] = await perCall(() => signer.password(), 100_000);
  result.per_call_us['rds-iam tokenSync() cached'] = perCallSync(() => signer.tokenSync(), 200_000);
  result.per_call_us['rds-iam sign() fresh'] = perCallSync((i) => rdsIam.sign({ ...db, credentials, at: new Date(t0 + i * 1000) }), 20_000);
  result.per_call_us['rds-iam token() fresh (reuseFor: 0)'] = await perCall(() => fresh.token(), 20_000);
  result.per_call_us['@aws-sdk/rds-signer getAuthToken()'] = await perCall(() => sdk.getAuthToken(), 5_000);
  for (const k of Object.keys(result.per_call_us)) result.per_call_us[k] = Number(result.per_call_us[k].toFixed(2));
  for (const k of Object.keys(result.require_ms)) result.require_ms[k] = Number(result.require_ms[k].toFixed(1));
  console.log(JSON.stringify(result, null, 2));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
