'use strict';
// What our objects show (issue 33, item 1): every public object the package returns — Signer,
// token info, proxy handle, cache providers, errors — printed every way a log or a crash
// reporter would (util.inspect with hidden fields, console.log's format, JSON.stringify,
// String) holds no token and no secret; the token stays readable where it is meant to be.
const { test } = require('node:test');
const assert = require('node:assert');
const util = require('node:util');
const { rdsIam } = require('./helpers.js');

const SECRET = 'shown/node/secret/key-000000000000000000001';
const SESSION = 'IQoJb3JpZ2luX2Vj++++////shown/node/session/0001==';
const HOST = 'db.abc123.us-east-1.rds.amazonaws.com';
const credentials = {
  accessKeyId: 'ASIASHOWNNODE0000001',
  secretAccessKey: SECRET,
  sessionToken: SESSION,
};

/** Every way a value gets printed. */
function printed(x) {
  const ways = [
    () => util.inspect(x, { showHidden: true, depth: 8, getters: true }),
    () => util.inspect(x),
    () => util.format('%o %O %j %s', x, x, x, x),
    () => JSON.stringify(x),
    () => String(x),
  ];
  return ways.map((f) => {
    try {
      return String(f());
    } catch (e) {
      return `<threw ${e?.message}>`;
    }
  });
}

function assertHidden(label, x, token) {
  for (const text of printed(x)) {
    for (const s of [SECRET, SESSION, encodeURIComponent(SESSION), token, 'X-Amz-Signature=']) {
      if (s) assert.ok(!text.includes(s), `${label} shows ${s.slice(0, 24)}…: ${text}`);
    }
  }
}

test('token info: the token reads as a property and prints as <redacted>', async () => {
  const signer = new rdsIam.Signer({ host: HOST, user: 'app', credentials });
  for (const info of [await signer.tokenInfo(), signer.tokenInfoSync()]) {
    assert.match(info.token, /X-Amz-Signature=[0-9a-f]{64}/);
    assert.ok(info.expiresAt instanceof Date && info.signedAt instanceof Date);
    assert.strictEqual(info.accessKeyId, 'ASIASHOWNNODE0000001');
    assert.match(util.inspect(info), /token: '<redacted>'/);
    assert.match(util.inspect(info), /^TokenInfo \{/);
    assert.strictEqual(JSON.parse(JSON.stringify(info)).token, '<redacted>');
    assert.strictEqual(JSON.parse(JSON.stringify(info)).accessKeyId, 'ASIASHOWNNODE0000001');
    assert.ok(!('token' in { ...info }), 'a spread copy leaves the token out');
    assert.deepStrictEqual(Object.keys(info), [
      'expiresAt',
      'signedAt',
      'fromCache',
      'accessKeyId',
    ]);
    assertHidden('token info', info, info.token);
  }
});

test('a Signer shows host, port, user, region and kind (and signHost when it differs)', () => {
  const s = new rdsIam.Signer({ host: HOST, user: 'app', credentials });
  assert.strictEqual(
    util.inspect(s, { breakLength: Number.POSITIVE_INFINITY }),
    `Signer { host: '${HOST}', port: 5432, user: 'app', region: 'us-east-1', kind: 'rds' }`,
  );
  const t = new rdsIam.Signer({
    host: '127.0.0.1',
    port: 15432,
    user: 'app',
    signHost: `${HOST}:5432`,
    credentials,
  });
  assert.match(util.inspect(t), new RegExp(`signHost: '${HOST}:5432'`));
  assert.deepStrictEqual(JSON.parse(JSON.stringify(t)), {
    host: '127.0.0.1',
    port: 15432,
    user: 'app',
    region: 'us-east-1',
    signHost: `${HOST}:5432`,
    kind: 'rds',
  });
  assertHidden('signer', s);
  assertHidden('tunnel signer', t);
});

test('every public object we return prints no token and no secret', async () => {
  const signer = new rdsIam.Signer({ host: HOST, user: 'app', credentials });
  const token = await signer.token();
  const cache = new rdsIam.Signer({
    host: 'cache-abc.serverless.use1.cache.amazonaws.com',
    user: 'app',
    kind: 'elasticache-serverless',
    region: 'us-east-1',
    credentials,
  });
  const objects = {
    signer,
    'token info': await signer.tokenInfo(),
    'token info (sync)': signer.tokenInfoSync(),
    'pg settings': rdsIam.pg(signer),
    'postgres settings': rdsIam.postgres(signer),
    'mysql2 settings': rdsIam.mysql2(signer),
    'sequelize settings': rdsIam.sequelize(signer),
    'redis provider': rdsIam.redis(cache),
    'redis provider (async)': rdsIam.redis(cache, { streaming: false }),
    stats: rdsIam.stats(),
  };
  const proxy = await rdsIam.proxy(signer, { database: 'app' });
  objects.proxy = proxy;
  const errors = [];
  for (const f of [
    () => new rdsIam.Signer({ host: HOST, user: 'a\nb', credentials }),
    () => new rdsIam.Signer({ host: 'db.example.com', user: 'app', credentials }),
    () => rdsIam.tls(42),
    () => rdsIam.redis(cache, { refreshEvery: -1 }),
    () =>
      rdsIam.sign({ host: HOST, user: 'app', credentials: { ...credentials, expiration: 'x' } }),
  ]) {
    try {
      f();
    } catch (e) {
      errors.push(e);
    }
  }
  await new rdsIam.Signer({
    host: HOST,
    user: 'app',
    credentials: { ...credentials, expiration: new Date(Date.now() - 60_000) },
  })
    .token()
    .catch((e) => errors.push(e));
  assert.strictEqual(errors.length, 6);
  try {
    for (const [label, x] of Object.entries(objects)) assertHidden(label, x, token);
    for (const e of errors) {
      assert.ok(e instanceof rdsIam.RdsIamError, `${e} is an RdsIamError`);
      assertHidden(`error ${e.code}`, e, token);
      assertHidden(`error ${e.code} stack`, e.stack, token);
    }
    assert.match(
      util.inspect(proxy),
      /^LocalProxy \{\s+url: 'postgresql:\/\/app@127\.0\.0\.1:\d+\/app/,
    );
  } finally {
    // `await using p = await rdsIam.proxy(...)` calls this at the end of the block.
    await proxy[Symbol.asyncDispose]();
  }
  assert.strictEqual(proxy.closed, true);
});
