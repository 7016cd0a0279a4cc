'use strict';
// Web identity (EKS IRSA) through the binding: STS failing to fetch the identity provider's keys
// is retried, and `webIdentityAttempts` is the binding's spelling of the core option.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const { start } = require(path.join(REPO, 'tests', 'fakeaws', 'fakeaws.js'));

const { Signer, clearCaches } = rdsIam;
const endpoint = { host: 'db.abc123.us-east-1.rds.amazonaws.com', port: 5432, user: 'app' };
const VERIFICATION_KEY =
  "Couldn't retrieve verification key from your identity provider,  please reference " +
  'AssumeRoleWithWebIdentity documentation for requirements';

let fake;
let dir;
before(async () => {
  fake = await start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-iam-webid-'));
  const token = path.join(dir, 'token');
  fs.writeFileSync(token, 'eyJhbGciOiJSUzI1NiJ9.e30.sig');
  useEnv({
    AWS_ENDPOINT_URL_STS: fake.url,
    AWS_WEB_IDENTITY_TOKEN_FILE: token,
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/irsa-role',
  });
});
after(() => {
  fake?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a verification-key error twice, then the token from the third attempt', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({
    sts: { error_code: 'InvalidIdentityToken', error_message: VERIFICATION_KEY, fail_times: 2 },
  });
  const info = await new Signer(endpoint).tokenInfo();
  assert.strictEqual(info.accessKeyId, 'ASIAWEBID00000000001');
  assert.strictEqual((await fake.counts()).sts_AssumeRoleWithWebIdentity, 3);
});

test('webIdentityAttempts: 1 fails on the first error; out of range is InvalidArgument', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({
    sts: { error_code: 'InvalidIdentityToken', error_message: VERIFICATION_KEY },
  });
  await assert.rejects(new Signer({ ...endpoint, webIdentityAttempts: 1 }).token(), (e) => {
    assert.strictEqual(e.code, 'ProviderError', e.message);
    assert.match(e.message, /verification key/);
    return true;
  });
  assert.strictEqual((await fake.counts()).sts_AssumeRoleWithWebIdentity, 1);
  for (const bad of [0, 21, 1.5]) {
    assert.throws(
      () => new Signer({ ...endpoint, webIdentityAttempts: bad }),
      (e) => e.code === 'InvalidArgument' && /webIdentityAttempts/.test(e.message),
    );
  }
});
