'use strict';
// `ca` is a path everywhere; PEM content goes in `caPem` (issue 33, item 5). The old uses —
// PEM content in a helper's / tls()'s `ca`, url()'s `caFile` — still work, with one
// DeprecationWarning each.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { rdsIam } = require('./helpers.js');

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const HOST = 'db.abc.us-east-1.rds.amazonaws.com';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-iam-ca-'));
const caFile = path.join(dir, 'roots.pem');
fs.writeFileSync(caFile, rdsIam.caBundle);

/** The DeprecationWarnings `f` emits (awaited), by message. */
async function deprecations(f) {
  const seen = [];
  const on = (w) => {
    if (w.name === 'DeprecationWarning' && w.code === 'RdsIamDeprecated') seen.push(w.message);
  };
  process.on('warning', on);
  try {
    await f();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', on);
  }
  return seen;
}

test('tls(): ca is a file path, caPem is PEM content, and they give the same roots', async () => {
  const byPath = rdsIam.tls({ ca: caFile });
  const byPem = rdsIam.tls({ caPem: rdsIam.caBundle });
  assert.strictEqual(byPath.ca, rdsIam.caBundle);
  assert.strictEqual(byPem.ca, rdsIam.caBundle);
  assert.strictEqual(byPath.rejectUnauthorized, true);
  assert.deepStrictEqual(
    await deprecations(() =>
      rdsIam.pg(new rdsIam.Signer({ host: HOST, user: 'u', credentials: creds }), { ca: caFile }),
    ),
    [],
  );
});

test('tls(): PEM content in ca still works, with one DeprecationWarning', async () => {
  let out;
  const warned = await deprecations(() => {
    out = rdsIam.tls({ ca: rdsIam.caBundle });
  });
  assert.strictEqual(out.ca, rdsIam.caBundle);
  assert.strictEqual(warned.length, 1);
  assert.match(warned[0], /PEM content in `ca` is deprecated.*`caPem`/);
});

test('tls(): both, or a missing file, is InvalidArgument', () => {
  assert.throws(() => rdsIam.tls({ ca: caFile, caPem: rdsIam.caBundle }), rdsIam.InvalidArgument);
  assert.throws(
    () => rdsIam.tls({ ca: path.join(dir, 'missing.pem') }),
    (e) => e instanceof rdsIam.InvalidArgument && /cannot read the CA file/.test(e.message),
  );
});

test('url(): ca names the CA file; caFile still works with a DeprecationWarning', async () => {
  const signer = new rdsIam.Signer({ host: HOST, user: 'u', credentials: creds });
  const byCa = await signer.url({ database: 'app', ca: caFile });
  assert.ok(byCa.endsWith(`sslrootcert=${caFile}`), byCa);
  let old;
  const warned = await deprecations(async () => {
    old = await signer.url({ database: 'app', caFile });
  });
  assert.strictEqual(old, byCa);
  assert.strictEqual(warned.length, 1);
  assert.match(warned[0], /url\(\{ caFile \}\) is deprecated/);
  await assert.rejects(
    async () => signer.url({ ca: caFile, caFile }),
    (e) => e instanceof rdsIam.InvalidArgument && /`caFile`/.test(e.message),
  );
});
