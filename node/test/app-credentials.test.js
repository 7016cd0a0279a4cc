'use strict';
// `credentials` given an AWS SDK v3 identity provider (issue 33, item 6): the real
// `@aws-sdk/credential-providers` `fromTemporaryCredentials()` against the fake STS, logging in
// to iamdb; the core asks the provider only when its cached credentials are missing or near
// expiry, once for concurrent callers, and caps a token's life at the returned expiration.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const { start } = require(path.join(REPO, 'tests', 'fakeaws', 'fakeaws.js'));
const { fromTemporaryCredentials } = require('@aws-sdk/credential-providers');
const pg = require('pg');

const HOST = 'db.abc123.us-east-1.rds.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/db-connect';
let db;
let fake;

before(async () => {
  db = await iamdb.up();
  fake = await start();
  useEnv({ AWS_REGION: db.region });
});
after(async () => {
  if (fake) await fake.stop();
  if (db) await iamdb.down();
});

/** A provider that counts its calls, resolving after `delayMs` to credentials expiring in `expiresIn` s. */
function counting({ delayMs = 0, expiresIn } = {}) {
  const p = async () => {
    p.calls += 1;
    await new Promise((r) => setTimeout(r, delayMs));
    return {
      accessKeyId: 'ASIAAPPCREDSNODE0001',
      secretAccessKey: 'app-creds-secret',
      sessionToken: 'app-creds-session',
      ...(expiresIn === undefined ? {} : { expiration: new Date(Date.now() + expiresIn * 1000) }),
    };
  };
  p.calls = 0;
  return p;
}

test('fromTemporaryCredentials() (the real SDK, against the fake STS) logs in to iamdb', async () => {
  const sdk = fromTemporaryCredentials({
    params: { RoleArn: ROLE, RoleSessionName: 'node-app-creds' },
    masterCredentials: { accessKeyId: db.accessKeyId, secretAccessKey: db.secretAccessKey },
    clientConfig: { region: db.region, endpoint: fake.url },
  });
  // The SDK's provider as is, with what it resolved kept (iamdb must learn the STS key).
  let issued;
  const credentials = async () => {
    issued = await sdk();
    return issued;
  };
  const signer = new rdsIam.Signer({
    host: db.host,
    port: db.pgPort,
    user: db.user,
    region: db.region,
    credentials,
  });
  const info = await signer.tokenInfo();
  assert.match(info.accessKeyId, /^ASIA/);
  assert.strictEqual(info.accessKeyId, issued.accessKeyId);
  assert.ok(info.expiresAt.getTime() <= issued.expiration.getTime());
  const [call] = await fake.calls('sts', 'AssumeRole');
  assert.strictEqual(call.role_arn, ROLE);
  await db.addKey(issued);
  const client = new pg.Client({ ...rdsIam.pg(signer, { ca: db.caFile }), database: db.database });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT current_user AS u');
    assert.strictEqual(rows[0].u, db.user);
  } finally {
    await client.end();
  }
  for (let i = 0; i < 5; i++) await signer.token();
  assert.strictEqual((await fake.calls('sts', 'AssumeRole')).length, 1);
});

test('100 concurrent token calls call the provider once', async () => {
  const provider = counting({ delayMs: 300 });
  const signer = new rdsIam.Signer({ host: HOST, user: 'app', credentials: provider });
  assert.strictEqual(provider.calls, 0, 'building a Signer calls nothing');
  const tokens = await Promise.all(Array.from({ length: 100 }, () => signer.token()));
  assert.strictEqual(provider.calls, 1);
  assert.strictEqual(new Set(tokens).size, 1);
  assert.strictEqual(signer.tokenSync(), tokens[0], 'tokenSync serves the cached token');
});

test("a token's life is capped by the returned expiration; near expiry, the provider is asked again", async () => {
  const six = counting({ expiresIn: 360 });
  const info = await new rdsIam.Signer({ host: HOST, user: 'app', credentials: six }).tokenInfo();
  const left = (info.expiresAt.getTime() - Date.now()) / 1000;
  assert.ok(left > 340 && left <= 360, `${left} s left`);
  const four = counting({ expiresIn: 240 });
  const s = new rdsIam.Signer({ host: HOST, user: 'app', credentials: four, refreshMargin: 60 });
  await s.token();
  const deadline = Date.now() + 5000;
  while (four.calls < 2 && Date.now() < deadline) {
    await s.token();
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(four.calls >= 2, `${four.calls} calls`);
});

test('provider failures are ProviderError naming the provider', async () => {
  const sealed = async function vaultSealed() {
    throw new Error('vault is sealed');
  };
  await assert.rejects(
    new rdsIam.Signer({ host: HOST, user: 'app', credentials: sealed }).token(),
    (e) =>
      e instanceof rdsIam.ProviderError &&
      /credentials provider vaultSealed.*vault is sealed/s.test(e.message),
  );
  const empty = async () => ({ accessKeyId: 'AKIA' });
  await assert.rejects(
    new rdsIam.Signer({ host: HOST, user: 'app', credentials: empty }).token(),
    (e) => e instanceof rdsIam.ProviderError && /secretAccessKey/.test(e.message),
  );
});
