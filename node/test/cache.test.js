'use strict';
// The core's process-wide cache seen from Node: Signers and worker threads share tokens, and
// concurrent callers during a slow credential fetch share one fetch.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { REPO, PKG_ENTRY, rdsIam, useEnv } = require('./helpers.js');
const { start } = require(path.join(REPO, 'tests', 'fakeaws', 'fakeaws.js'));

const { Signer, stats, clearCaches } = rdsIam;
const endpoint = { host: 'shared.abc123.us-east-1.rds.amazonaws.com', port: 5432, user: 'app' };
const credentials = { accessKeyId: 'AKIASHAREDCACHE00001', secretAccessKey: 'shared-cache-secret' };

let fake;
before(async () => {
  fake = await start();
  useEnv({ AWS_ENDPOINT_URL_STS: fake.url, AWS_REGION: 'us-east-1' });
});
after(() => fake?.stop());

const signatures = () => stats().signatures;

test('Signers for the same endpoint share one token; each reuse is a cache hit', async () => {
  clearCaches();
  const before = signatures();
  const signers = Array.from({ length: 5 }, () => new Signer({ ...endpoint, credentials }));
  const infos = await Promise.all(signers.map((s) => s.tokenInfo()));
  assert.strictEqual(new Set(infos.map((i) => i.token)).size, 1);
  assert.strictEqual(signatures() - before, 1);
  const again = await new Signer({ ...endpoint, credentials }).tokenInfo();
  assert.strictEqual(again.token, infos[0].token);
  assert.strictEqual(again.fromCache, true);
  assert.ok(again.expiresAt instanceof Date && again.signedAt instanceof Date);
  assert.strictEqual(again.expiresAt - again.signedAt, 900_000);
  assert.strictEqual(again.accessKeyId, credentials.accessKeyId);
  // another user or port is another token
  const other = await new Signer({ ...endpoint, user: 'other', credentials }).token();
  assert.notStrictEqual(other, infos[0].token);
  assert.strictEqual(signatures() - before, 2);
});

test('reuseFor: 0 signs for every call', async () => {
  clearCaches();
  const s = new Signer({ ...endpoint, credentials, reuseFor: 0 });
  const before = signatures();
  for (let i = 0; i < 3; i += 1) {
    const info = await s.tokenInfo();
    assert.strictEqual(info.fromCache, false);
  }
  s.tokenSync();
  assert.strictEqual(signatures() - before, 4);
});

test('worker_threads share the process-wide cache: one signature, equal tokens', async () => {
  clearCaches();
  const before = signatures();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Signer, stats } = require(workerData.entry);
    const s = new Signer(workerData.options);
    const go = workerData.sync ? Promise.resolve(s.tokenSync()) : s.token();
    go.then((token) => parentPort.postMessage({ token, signatures: stats().signatures }),
      (e) => parentPort.postMessage({ error: e.code + ': ' + e.message }));`;
  const run = (sync) =>
    new Promise((resolve, reject) => {
      const w = new Worker(code, {
        eval: true,
        workerData: { entry: PKG_ENTRY, sync, options: { ...endpoint, credentials } },
      });
      w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      w.once('error', reject);
    });
  const results = await Promise.all([run(false), run(true), run(false), run(true)]);
  const mine = await new Signer({ ...endpoint, credentials }).token();
  assert.deepStrictEqual(new Set(results.map((r) => r.token)), new Set([mine]));
  assert.strictEqual(signatures() - before, 1);
});

test('many concurrent token() calls during a slow credential fetch → one fetch, one signature', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({ sts: { delay_ms: 800 } });
  const s = new Signer({
    ...endpoint,
    credentials,
    roleArn: 'arn:aws:iam::123456789012:role/slow-role',
    roleSessionName: 'rds-iam-node-test',
  });
  const before = signatures();
  const t0 = Date.now();
  const tokens = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0 ? s.tokenInfo().then((x) => x.token) : s.token(),
    ),
  );
  assert.ok(Date.now() - t0 >= 700, 'the fetch was slow');
  assert.strictEqual(new Set(tokens).size, 1);
  assert.match(tokens[0], /X-Amz-Credential=ASIAASSUMED000000001%2F/);
  assert.match(tokens[0], /X-Amz-Security-Token=IQoJb3JpZ2luX2Vj/);
  assert.strictEqual((await fake.counts()).sts_AssumeRole, 1);
  const [call] = await fake.calls('sts', 'AssumeRole');
  assert.strictEqual(call.caller_access_key_id, credentials.accessKeyId);
  assert.strictEqual(call.role_session_name, 'rds-iam-node-test');
  assert.strictEqual(signatures() - before, 1);
  await fake.configure({ sts: null });
});

test('a credential fetch that fails rejects every waiting caller with ProviderError', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({ sts: { error_code: 'AccessDenied', status: 403 } });
  const s = new Signer({
    ...endpoint,
    credentials,
    roleArn: 'arn:aws:iam::123456789012:role/denied',
  });
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => s.token()));
  for (const r of results) {
    assert.strictEqual(r.status, 'rejected');
    assert.ok(r.reason instanceof Error);
    assert.strictEqual(r.reason.code, 'ProviderError', r.reason.message);
  }
  assert.throws(
    () => s.tokenSync(),
    (e) => e.code === 'ProviderError',
  );
  await fake.configure({ sts: null });
});

test('a hanging credential endpoint gives Timeout after fetchTimeout', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({ sts: { hang: true } });
  const s = new Signer({
    ...endpoint,
    credentials,
    roleArn: 'arn:aws:iam::123456789012:role/hang',
    fetchTimeout: 0.5,
  });
  const t0 = Date.now();
  await assert.rejects(s.token(), (e) => e.code === 'Timeout');
  assert.ok(Date.now() - t0 < 5000);
  await fake.configure({ sts: null });
});

test('no credentials anywhere → NoCredentials', async () => {
  clearCaches();
  const s = new Signer({ ...endpoint, user: 'nocreds' });
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  try {
    await assert.rejects(
      s.token(),
      (e) => e.code === 'NoCredentials' && /AWS_ACCESS_KEY_ID/.test(e.message),
    );
  } finally {
    if (saved.id) process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret) process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
});
