'use strict';
// Cache hooks against iamdb's cache front (a Redis that checks ElastiCache / MemoryDB IAM tokens
// like AWS does): node-redis's credentialsProvider, ioredis and iovalkey log in for every token
// kind and run commands; streaming re-AUTH keeps one connection alive across several
// max_connection_age periods while a plain string password is cut; bad tokens are refused with
// their reason; timers stop with the client.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const { createClient, createCluster } = require('redis');
const IoRedis = require('ioredis');

const { Signer } = rdsIam;
let db;
let ca;

before(async () => {
  db = await iamdb.up();
  ca = fs.readFileSync(db.caFile, 'utf8');
  useEnv({
    AWS_ACCESS_KEY_ID: db.accessKeyId,
    AWS_SECRET_ACCESS_KEY: db.secretAccessKey,
    AWS_REGION: db.region,
  });
});
after(async () => {
  if (db) await iamdb.down();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const KINDS = [
  ['cacheName', 'elasticache'],
  ['cacheServerlessName', 'elasticache-serverless'],
  ['memorydbName', 'memorydb'],
];

function cacheSigner(kind = 'elasticache', name = db.cacheName, extra = {}) {
  return new Signer({ host: name, user: db.cacheUser, region: db.region, kind, ...extra });
}
const cacheLog = (mark) =>
  db
    .logSince(mark)
    .filter((e) => e.server === 'cache')
    .map((e) => [e.outcome, e.reason]);

/** A node-redis client; `provider` is a Signer (wrapped by rdsIam.redis) or a provider. */
function nodeRedis(provider, extra = {}) {
  return createClient({
    socket: { host: db.host, port: db.cachePort, tls: true, ca, reconnectStrategy: false },
    credentialsProvider: provider instanceof Signer ? rdsIam.redis(provider) : provider,
    ...extra,
  });
}
const ioOptions = (extra = {}) => ({
  host: db.host,
  port: db.cachePort,
  ca,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  ...extra,
});

/** Cache connections cut 0.6 s after their last AUTH (ElastiCache's 12 hours, scaled). */
async function withShortCut(fn) {
  await db.setMaxConnectionAge(0.6);
  try {
    await fn();
  } finally {
    await db.setMaxConnectionAge(43200);
    await db.setMaxAge(900);
  }
}

for (const [attr, kind] of KINDS) {
  for (const RESP of [2, 3]) {
    test(`node-redis logs in with a ${kind} token (RESP${RESP})`, async () => {
      const mark = db.mark();
      const client = await nodeRedis(cacheSigner(kind, db[attr]), { RESP }).connect();
      try {
        await client.set('node-hook', kind);
        assert.strictEqual(await client.get('node-hook'), kind);
        assert.strictEqual(await client.sendCommand(['ACL', 'WHOAMI']), db.cacheUser);
      } finally {
        await client.close();
      }
      assert.deepStrictEqual(cacheLog(mark), [['accept', null]]);
      assert.deepStrictEqual(
        db.logSince(mark).map((e) => e.kind),
        [kind],
      );
    });
  }
  for (const [name, make] of [
    ['ioredis', rdsIam.ioredis],
    ['iovalkey', rdsIam.iovalkey],
  ]) {
    test(`${name} logs in with a ${kind} token`, async () => {
      const mark = db.mark();
      const client = make(cacheSigner(kind, db[attr]), ioOptions());
      try {
        await client.set('io-hook', kind);
        assert.strictEqual(await client.get('io-hook'), kind);
        assert.strictEqual(await client.call('ACL', 'WHOAMI'), db.cacheUser);
      } finally {
        await client.quit();
      }
      assert.deepStrictEqual(cacheLog(mark), [['accept', null]]);
    });
  }
}

test('node-redis cluster client logs in through every node', async () => {
  // iamdb's Redis is a one-node cluster that announces the front's port
  const mark = db.mark();
  const cluster = await createCluster({
    rootNodes: [{ socket: { host: db.host, port: db.cachePort, tls: true, ca } }],
    defaults: {
      socket: { tls: true, ca, reconnectStrategy: false },
      credentialsProvider: rdsIam.redis(cacheSigner()),
    },
  }).connect();
  try {
    for (const k of ['a', 'b', 'c', 'd']) await cluster.set(`cluster-${k}`, k);
    assert.strictEqual(await cluster.get('cluster-c'), 'c');
  } finally {
    await cluster.close();
  }
  const log = cacheLog(mark);
  assert.ok(log.length >= 1 && log.every(([outcome]) => outcome === 'accept'), String(log));
});

test("ioredis dials the signer's host and port when the cache name is its signHost", async () => {
  const signer = new Signer({
    host: db.host,
    port: db.cachePort,
    user: db.cacheUser,
    region: db.region,
    signHost: db.cacheName,
    kind: 'elasticache',
  });
  const mark = db.mark();
  const client = rdsIam.ioredis(signer, { ca, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    assert.strictEqual(await client.ping(), 'PONG');
  } finally {
    await client.quit();
  }
  assert.deepStrictEqual(cacheLog(mark), [['accept', null]]);
});

test('node-redis async provider (streaming: false) logs in per handshake', async () => {
  const provider = rdsIam.redis(cacheSigner(), { streaming: false });
  assert.strictEqual(provider.type, 'async-credentials-provider');
  const client = await createClient({
    socket: { host: db.host, port: db.cachePort, tls: true, ca, reconnectStrategy: false },
    credentialsProvider: provider,
  }).connect();
  try {
    assert.strictEqual(await client.ping(), 'PONG');
  } finally {
    await client.close();
  }
});

test('a token of the wrong kind is refused with its reason', async () => {
  const mark = db.mark();
  const client = nodeRedis(cacheSigner('elasticache', db.cacheServerlessName));
  client.on('error', () => {});
  await assert.rejects(client.connect(), /WRONGPASS/);
  assert.deepStrictEqual(cacheLog(mark), [['reject', 'resource_type_missing']]);
  const io = rdsIam.ioredis(
    cacheSigner('memorydb', db.cacheName),
    ioOptions({ lazyConnect: true }),
  );
  const ioErrors = [];
  io.on('error', (e) => ioErrors.push(e.message));
  const mark2 = db.mark();
  await assert.rejects(io.connect()); // ioredis: "Connection is closed"; the reason is an 'error'
  io.disconnect();
  assert.ok(
    ioErrors.some((m) => /WRONGPASS/.test(m)),
    ioErrors.join('; '),
  );
  assert.deepStrictEqual(cacheLog(mark2), [['reject', 'wrong_service']]);
});

test('node-redis streaming keeps one connection alive while a plain password is cut', async () => {
  await withShortCut(async () => {
    // reuseFor: a new token at most every 0.1 s, so every push is young
    const signer = cacheSigner('elasticache', db.cacheName, { reuseFor: 0.1 });
    const provider = rdsIam.redis(signer, { refreshEvery: 0.2 });
    const mark = db.mark();
    const streamed = await nodeRedis(provider).connect();
    const plain = createClient({
      socket: { host: db.host, port: db.cachePort, tls: true, ca, reconnectStrategy: false },
      username: db.cacheUser,
      password: await signer.token(),
    });
    const plainErrors = [];
    plain.on('error', (e) => plainErrors.push(e));
    await plain.connect();
    const id = await streamed.clientId();
    await db.setMaxAge(1); // the plain password, once cut, is too old to log in again
    await sleep(2000); // > 3 periods of max_connection_age
    assert.strictEqual(await streamed.clientId(), id); // the same connection all along
    assert.strictEqual(plain.isOpen, false);
    assert.ok(plainErrors.length > 0);
    await streamed.close();
    const log = db.logSince(mark);
    assert.deepStrictEqual(
      log.filter((e) => e.outcome === 'closed').map((e) => e.reason),
      ['max_connection_age'],
    );
    assert.ok(log.filter((e) => e.outcome === 'accept' && e.command === 'AUTH').length >= 3);
    assert.strictEqual(provider.subscriptions, 0);
  });
});

for (const [name, make] of [
  ['ioredis', rdsIam.ioredis],
  ['iovalkey', rdsIam.iovalkey],
]) {
  test(`${name} re-AUTHs on a timer (one connection lives) and reconnects with a fresh token`, async () => {
    await withShortCut(async () => {
      const signer = cacheSigner('elasticache', db.cacheName, { reuseFor: 0.1 });
      // No reconnect blocks the event loop on tokenSync(): the token is fetched ahead.
      let syncCalls = 0;
      const tokenSync = signer.tokenSync;
      signer.tokenSync = function counted() {
        syncCalls += 1;
        return tokenSync.call(this);
      };
      const mark = db.mark();
      const client = make(signer, ioOptions({ refreshEvery: 0.2, retryStrategy: () => 50 }));
      const plain = new IoRedis(
        ioOptions({
          username: db.cacheUser,
          password: await signer.token(),
          tls: { ca },
          ca: undefined,
          retryStrategy: () => 50,
        }),
      );
      plain.on('error', () => {});
      const id = await client.client('ID');
      // (a command sent before the first token arrived may read it with tokenSync() once)
      const syncAtStart = syncCalls;
      await plain.ping();
      await db.setMaxAge(1);
      await sleep(2000);
      assert.strictEqual(await client.client('ID'), id);
      assert.notStrictEqual(plain.status, 'ready'); // cut, and its reconnects are refused
      plain.disconnect();
      // a (re)connect reads the current token: drop the connection, the client comes back
      client.disconnect(true);
      await new Promise((r) => client.once('ready', r));
      assert.notStrictEqual(await client.client('ID'), id);
      assert.strictEqual(syncCalls, syncAtStart, 'tokenSync() was called on a reconnect');
      await client.quit();
      const log = db.logSince(mark);
      assert.ok(log.some((e) => e.outcome === 'closed' && e.reason === 'max_connection_age'));
      assert.ok(log.some((e) => e.outcome === 'reject' && e.reason === 'expired'));
    });
  });
}

test('timers do not keep the process alive and stop when the client closes', async () => {
  const provider = rdsIam.redis(cacheSigner(), { refreshEvery: 0.05 });
  const client = await createClient({
    socket: { host: db.host, port: db.cachePort, tls: true, ca, reconnectStrategy: false },
    credentialsProvider: provider,
  }).connect();
  assert.strictEqual(provider.subscriptions, 1);
  await client.close();
  assert.strictEqual(provider.subscriptions, 0);
  // a provider subscription never disposed, and a timer-driven ioredis client whose socket is
  // unref'd: the child still exits on its own (the timers are unref'd too)
  const { execFileSync } = require('node:child_process');
  const { PKG_ENTRY } = require('./helpers.js');
  const script = `
    const rdsIam = require(${JSON.stringify(PKG_ENTRY)});
    const signer = new rdsIam.Signer({ host: ${JSON.stringify(db.cacheName)}, user: ${JSON.stringify(db.cacheUser)}, region: ${JSON.stringify(db.region)}, kind: 'elasticache' });
    const provider = rdsIam.redis(signer, { refreshEvery: 0.05 });
    const io = rdsIam.ioredis(signer, { host: ${JSON.stringify(db.host)}, port: ${db.cachePort}, ca: ${JSON.stringify(ca)}, refreshEvery: 0.05 });
    provider.subscribe({ onNext() {}, onError() {} }).then(async () => {
      await io.ping();
      io.stream.unref();
      console.log('subscribed', provider.subscriptions);
    });
  `;
  const out = execFileSync(process.execPath, ['-e', script], { timeout: 30_000, env: process.env });
  assert.match(out.toString(), /subscribed 1/);
});

test('bad arguments are InvalidArgument errors', () => {
  assert.throws(() => rdsIam.redis({}), { code: 'InvalidArgument' });
  assert.throws(() => rdsIam.redis(cacheSigner(), { refreshEvery: 0 }), {
    code: 'InvalidArgument',
    message: /refreshEvery/,
  });
  assert.throws(() => rdsIam.ioredis(cacheSigner(), { refreshEvery: -1 }), {
    code: 'InvalidArgument',
  });
});
