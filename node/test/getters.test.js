'use strict';
// The getters and sync/async pairs the three languages share (issue 33, item 3): kind,
// signPort, signHost as the option takes it, tokenInfoSync, stats().credentialFetches.
const { test } = require('node:test');
const assert = require('node:assert');
const { rdsIam } = require('./helpers.js');

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const HOST = 'db.abc.us-east-1.rds.amazonaws.com';

test('kind and signPort, as Python has them', () => {
  const rds = new rdsIam.Signer({ host: HOST, user: 'app', credentials: creds });
  assert.deepStrictEqual([rds.kind, rds.signPort, rds.signHost], ['rds', 5432, HOST]);
  const dsql = new rdsIam.Signer({
    host: 'abc.dsql.us-east-1.on.aws',
    kind: 'dsql_connect',
    credentials: creds,
  });
  assert.deepStrictEqual([dsql.kind, dsql.user], ['dsql_connect', undefined]);
  const admin = new rdsIam.Signer({
    host: 'abc.dsql.us-east-1.on.aws',
    user: 'admin',
    credentials: creds,
  });
  assert.strictEqual(admin.kind, 'dsql_admin');
  const cache = new rdsIam.Signer({
    host: 'my-cache',
    user: 'u',
    region: 'us-east-1',
    kind: 'memorydb',
    credentials: creds,
  });
  // A cache's token names the cache alone: signHost is its name, no port.
  assert.deepStrictEqual([cache.kind, cache.signHost, cache.port], ['memorydb', 'my-cache', 6379]);
});

test('signHost is what the option took: host:port when a port was given or differs', () => {
  const cases = [
    // [options, signHost, signPort]
    [{ host: HOST, port: 3306 }, HOST, 3306],
    [{ host: '127.0.0.1', port: 15432, signHost: HOST }, HOST, 15432],
    [{ host: '127.0.0.1', port: 15432, signHost: `${HOST}:5432` }, `${HOST}:5432`, 5432],
    [{ host: '127.0.0.1', port: 5432, signHost: `${HOST}:5432` }, `${HOST}:5432`, 5432],
  ];
  for (const [options, signHost, signPort] of cases) {
    const s = new rdsIam.Signer({ user: 'app', credentials: creds, ...options });
    assert.deepStrictEqual([s.signHost, s.signPort], [signHost, signPort], JSON.stringify(options));
    const again = new rdsIam.Signer({
      user: 'app',
      credentials: creds,
      ...options,
      signHost: s.signHost,
    });
    assert.strictEqual(again.tokenSync(), s.tokenSync(), 'the same endpoint is signed');
  }
});

test('tokenInfoSync gives what tokenInfo gives, and both count in stats()', async () => {
  rdsIam.clearCaches();
  const s = new rdsIam.Signer({ host: HOST, user: 'getters', credentials: creds });
  const before = rdsIam.stats();
  assert.strictEqual(typeof before.credentialFetches, 'number');
  const sync = s.tokenInfoSync();
  const async_ = await s.tokenInfo();
  assert.strictEqual(sync.token, async_.token);
  assert.strictEqual(sync.fromCache, false);
  assert.strictEqual(async_.fromCache, true);
  assert.strictEqual(sync.expiresAt.getTime(), async_.expiresAt.getTime());
  const after = rdsIam.stats();
  assert.strictEqual(after.signatures - before.signatures, 1);
  assert.ok(after.credentialFetches >= before.credentialFetches);
});
