'use strict';
// The lean native methods (node/src/lean_methods.rs) check their `this`, a frozen Signer still
// hands out `password`, and a token() waiting on a credential fetch is settled from the core's
// callback (no async runtime of napi-rs's is started for it).
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const { start } = require(path.join(REPO, 'tests', 'fakeaws', 'fakeaws.js'));

const { Signer, clearCaches } = rdsIam;
const endpoint = { host: 'lean.abc123.us-east-1.rds.amazonaws.com', port: 5432, user: 'app' };
const credentials = { accessKeyId: 'AKIALEANMETHODS00001', secretAccessKey: 'lean-methods-secret' };

let fake;
before(async () => {
  fake = await start();
  useEnv({ AWS_ENDPOINT_URL_STS: fake.url, AWS_REGION: 'us-east-1' });
});
after(() => fake?.stop());

class NotASigner {
  constructor() {
    this.inner = {};
  }
}

/** `this` values that are not a Signer: each must be refused, not read as one. */
const foreign = () => [
  {},
  new NotASigner(),
  Object.create(Signer.prototype),
  new Date(0),
  Buffer.from('not a signer'),
  undefined,
  null,
  42,
  'a string',
];

test('tokenSync and token with a foreign `this` throw a TypeError (no crash)', () => {
  for (const name of ['tokenSync', 'token']) {
    const method = Signer.prototype[name];
    for (const thisArg of foreign()) {
      assert.throws(() => method.call(thisArg), TypeError, `${name}.call(${String(thisArg)})`);
    }
  }
  // The process is alive and a real Signer still works through the same functions.
  const s = new Signer({ ...endpoint, credentials });
  assert.match(Signer.prototype.tokenSync.call(s), /X-Amz-Signature=/);
});

test('the password getter with a foreign `this` throws; its function ignores `this`', async () => {
  const getter = Object.getOwnPropertyDescriptor(Signer.prototype, 'password').get;
  for (const thisArg of foreign()) {
    assert.throws(() => getter.call(thisArg), Error, String(thisArg));
  }
  clearCaches();
  const s = new Signer({ ...endpoint, credentials });
  const password = s.password;
  const token = s.tokenSync();
  for (const thisArg of [
    ...foreign(),
    s,
    new Signer({ ...endpoint, user: 'other', credentials }),
  ]) {
    assert.strictEqual(await password.call(thisArg, 'ignored'), token);
  }
});

test('a frozen or sealed Signer still returns its password function', async () => {
  for (const seal of [Object.freeze, Object.seal, Object.preventExtensions]) {
    clearCaches();
    const s = seal(new Signer({ ...endpoint, credentials }));
    const password = s.password;
    assert.strictEqual(typeof password, 'function', seal.name);
    assert.strictEqual(await password(), s.tokenSync(), seal.name);
    assert.strictEqual(Object.hasOwn(s, 'password'), false, seal.name);
  }
  // An open Signer keeps one function: it becomes an own, read-only property.
  const open = new Signer({ ...endpoint, credentials });
  assert.strictEqual(open.password, open.password);
  assert.strictEqual(Object.getOwnPropertyDescriptor(open, 'password').writable, false);
});

/** The names of this process's threads (`/proc/self/task/<tid>/comm`). */
function threadNames() {
  return fs.readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return [fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()];
    } catch {
      return []; // the thread ended while we looked
    }
  });
}

test('a token() pending on a credential fetch starts no tokio runtime of napi-rs', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({ sts: { delay_ms: 300 } });
  const s = new Signer({
    ...endpoint,
    credentials,
    roleArn: 'arn:aws:iam::123456789012:role/lean-pending',
  });
  let settled = false;
  const pending = [s.token(), s.tokenInfo(), s.password()].map((p) =>
    p.finally(() => {
      settled = true;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.strictEqual(settled, false, 'the Promises wait for the fetch');
  const [token, info, password] = await Promise.all(pending);
  assert.strictEqual(info.token, token);
  assert.strictEqual(password, token);
  assert.match(token, /X-Amz-Credential=ASIAASSUMED/);
  assert.strictEqual((await fake.counts()).sts_AssumeRole, 1);
  const names = threadNames();
  // The fetch ran on the core's runtime ...
  assert.ok(names.includes('rds-iam'), names.join(', '));
  // ... and nothing else (napi-rs's runtime names its workers `tokio-runtime-worker`).
  assert.deepStrictEqual(
    names.filter((n) => n.startsWith('tokio')),
    [],
    names.join(', '),
  );
  await fake.configure({ sts: null });
});

test('a pending token() whose fetch fails rejects with the coded Error', async () => {
  clearCaches();
  await fake.reset();
  await fake.configure({ sts: { error_code: 'AccessDenied', status: 403, delay_ms: 100 } });
  const s = new Signer({
    ...endpoint,
    credentials,
    roleArn: 'arn:aws:iam::123456789012:role/lean-denied',
  });
  for (const p of [s.token(), s.tokenInfo(), s.password()]) {
    await assert.rejects(p, (e) => e instanceof Error && e.code === 'ProviderError');
  }
  await fake.configure({ sts: null });
});
