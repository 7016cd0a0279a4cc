'use strict';
// The installed npm package, wherever it runs (the arm64 root under qemu, the release workflow's
// runners):  node scripts/dist/smoke.js PROJECT_DIR   (a project with rds-iam installed)
// Every shared vector (tests/vectors/*.json) byte for byte through sign(), then a Signer with
// credentials from the environment against sign() at the token's own X-Amz-Date. Prints what
// ran where; exits 1 on any mismatch.
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const project = path.resolve(process.argv[2] || '.');
const requireFromProject = createRequire(path.join(project, 'package.json'));
const vectors = path.resolve(__dirname, '..', '..', 'tests', 'vectors');
const cases = fs
  .readdirSync(vectors)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => JSON.parse(fs.readFileSync(path.join(vectors, f), 'utf8')).cases);

// Environment credentials only, before the package's first credential lookup.
const c = cases.find((x) => x.kind === 'rds' && x.session_token && x.expires_in === 900);
for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: c.access_key_id,
  AWS_SECRET_ACCESS_KEY: c.secret_access_key,
  AWS_SESSION_TOKEN: c.session_token,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/rds-iam-smoke/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/rds-iam-smoke/credentials',
});

const rdsIam = requireFromProject('rds-iam');

function sign(v, at) {
  const options = {
    host: v.host,
    region: v.region,
    kind: v.kind,
    at,
    expiresIn: v.expires_in,
    credentials: { accessKeyId: v.access_key_id, secretAccessKey: v.secret_access_key },
  };
  if (v.port !== null) options.port = v.port;
  if (v.user !== null) options.user = v.user;
  if (v.session_token !== null) options.credentials.sessionToken = v.session_token;
  return rdsIam.sign(options);
}

const failed = cases.filter((v) => sign(v, new Date(v.time)) !== v.token).map((v) => v.name);
const token = new rdsIam.Signer({
  host: c.host,
  port: c.port,
  user: c.user,
  region: c.region,
}).tokenSync();
const date = /X-Amz-Date=(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/.exec(token);
const signedAt = new Date(Date.UTC(date[1], date[2] - 1, date[3], date[4], date[5], date[6]));
const signerOk = token === sign(c, signedAt);

const addon = Object.keys(require.cache).find((k) => k.endsWith('.node'));
console.log(
  `smoke.js: rds-iam ${rdsIam.VERSION}, addon ${path.relative(project, addon)}, Node ${process.version} on ${process.platform}-${process.arch}`,
);
console.log(
  `smoke.js: vectors ${cases.length - failed.length}/${cases.length} byte for byte${failed.length ? `; MISMATCH: ${failed.join(', ')}` : ''}`,
);
console.log(
  `smoke.js: Signer with environment credentials: ${signerOk ? 'matches' : 'MISMATCH'} sign() at its X-Amz-Date`,
);
process.exitCode = signerOk && failed.length === 0 ? 0 : 1;
