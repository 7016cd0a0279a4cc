'use strict';
// Every shared vector (tests/vectors/*.json, botocore's exact output) through sign(): byte for byte.
// Both ways in: the package's sign() (node/js/sign.js passes plain options positionally) and
// the native sign() that reads the options object itself (the path for anything unusual).
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, PKG_ENTRY, rdsIam } = require('./helpers.js');

const native = require(path.join(path.dirname(PKG_ENTRY), 'index.js'));

for (const file of ['rds.json', 'dsql.json', 'cache.json']) {
  const { cases } = JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', file), 'utf8'));
  test(`${file}: ${cases.length} vectors, byte for byte`, async (t) => {
    assert.ok(cases.length > 0);
    for (const c of cases) {
      await t.test(c.name, () => {
        const options = {
          host: c.host,
          region: c.region,
          kind: c.kind,
          credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key },
          at: new Date(c.time),
          expiresIn: c.expires_in,
        };
        if (c.port !== null) options.port = c.port;
        if (c.user !== null) options.user = c.user;
        if (c.session_token !== null) options.credentials.sessionToken = c.session_token;
        assert.strictEqual(rdsIam.sign(options), c.token);
        assert.strictEqual(native.sign(options), c.token);
      });
    }
  });
}

test('every option reaches the signature through both ways in', () => {
  const at = new Date('2026-11-23T00:00:00Z');
  const credentials = {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'T+/=',
    expiration: new Date(at.getTime() + 60_000),
  };
  const base = {
    host: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws',
    credentials,
    at,
    kind: 'dsql_admin',
    expiresIn: 3600,
  };
  const token = rdsIam.sign(base);
  assert.strictEqual(native.sign(base), token);
  // DSQL lifetime capped by the credentials' expiration; the session token encoded.
  assert.match(token, /&X-Amz-Expires=60&/);
  assert.match(token, /X-Amz-Security-Token=T%2B%2F%3D/);
  const rds = {
    host: 'db.abc.eu-west-1.rds.amazonaws.com',
    port: '3306',
    user: 'app',
    region: 'eu-west-2',
    credentials,
    at,
  };
  assert.strictEqual(rdsIam.sign(rds), native.sign(rds));
  assert.match(
    rdsIam.sign(rds),
    /^db\.abc\.eu-west-1\.rds\.amazonaws\.com:3306\/\?Action=connect&DBUser=app&.*%2Feu-west-2%2Frds-db%2F/,
  );
  // Each option changes the token, so none can be dropped on the way in.
  for (const [key, value] of [
    ['host', 'other.abc.eu-west-1.rds.amazonaws.com'],
    ['port', 5432],
    ['user', 'bob'],
    ['region', 'us-east-1'],
    ['at', new Date(at.getTime() + 1000)],
    ['credentials', { ...credentials, accessKeyId: 'AKIDOTHER' }],
    ['credentials', { ...credentials, secretAccessKey: 'other' }],
    ['credentials', { ...credentials, sessionToken: 'U' }],
  ]) {
    const changed = { ...rds, [key]: value };
    assert.notStrictEqual(rdsIam.sign(changed), rdsIam.sign(rds), key);
    assert.strictEqual(rdsIam.sign(changed), native.sign(changed), key);
  }
});
