'use strict';
// Drop-ins (issue 33, item 7): `rds-iam/rds-signer` and `rds-iam/dsql-signer` against the real
// @aws-sdk/rds-signer and @aws-sdk/dsql-signer. The same options give the peer's token in
// canonical form (the peers order query parameters their own way) when signed in the same
// second, and the token logs in to iamdb.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { REPO, rdsIam, requireFromProject, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const { Signer: PeerSigner } = require('@aws-sdk/rds-signer');
const { DsqlSigner: PeerDsqlSigner } = require('@aws-sdk/dsql-signer');
const pg = require('pg');

const { Signer } = requireFromProject('rds-iam/rds-signer');
const { DsqlSigner } = requireFromProject('rds-iam/dsql-signer');
const credentials = {
  accessKeyId: 'ASIAPEERSDROPIN00001',
  secretAccessKey: 'peers/dropin/secret',
  sessionToken: 'IQoJb3JpZ2luX2Vj++++////peers/dropin/session==',
};
let db;
before(async () => {
  db = await iamdb.up();
  useEnv({
    AWS_ACCESS_KEY_ID: db.accessKeyId,
    AWS_SECRET_ACCESS_KEY: db.secretAccessKey,
    AWS_REGION: db.region,
  });
});
after(async () => {
  if (db) await iamdb.down();
});

/** A token with its query parameters sorted: the form in which two signers' tokens compare. */
function canonical(token) {
  const [head, query] = token.split('?');
  const params = query.split('&').sort();
  return `${head}?${params.join('&')}`;
}

/** Both tokens, signed in the same second (a few tries across a second's edge). */
async function sameSecond(ours, theirs) {
  let a;
  let b;
  for (let i = 0; i < 5; i++) {
    rdsIam.clearCaches();
    a = await ours();
    b = await theirs();
    if (canonical(a) === canonical(b)) break;
  }
  return [canonical(a), canonical(b)];
}

test("rds-signer: the peer's token in canonical form, and the same constructor", async () => {
  const config = {
    hostname: 'mydb.abc123.eu-west-1.rds.amazonaws.com',
    port: 5432,
    username: 'app_user',
    region: 'eu-west-1',
    credentials,
  };
  const [ours, theirs] = await sameSecond(
    () => new Signer(config).getAuthToken(),
    () => new PeerSigner(config).getAuthToken(),
  );
  assert.strictEqual(ours, theirs);
  assert.match(ours, /X-Amz-Security-Token=/);
  // An identity provider, as the peer takes one.
  const provider = async () => credentials;
  const [viaProvider, peerProvider] = await sameSecond(
    () => new Signer({ ...config, credentials: provider }).getAuthToken(),
    () => new PeerSigner({ ...config, credentials: provider }).getAuthToken(),
  );
  assert.strictEqual(viaProvider, peerProvider);
});

test('rds-signer: the token logs in to iamdb, and is reused', async () => {
  const signer = new Signer({ hostname: db.host, port: db.pgPort, username: db.user });
  const token = await signer.getAuthToken();
  const client = new pg.Client({
    host: db.host,
    port: db.pgPort,
    user: db.user,
    password: token,
    database: db.database,
    ssl: rdsIam.tls({ ca: db.caFile }),
  });
  await client.connect();
  try {
    assert.strictEqual((await client.query('SELECT current_user AS u')).rows[0].u, db.user);
  } finally {
    await client.end();
  }
  assert.strictEqual(await signer.getAuthToken(), token, 'served from the cache');
});

test("dsql-signer: both token kinds equal the peer's in canonical form", async () => {
  const config = {
    hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws',
    region: 'us-east-1',
    credentials,
  };
  for (const method of ['getDbConnectAuthToken', 'getDbConnectAdminAuthToken']) {
    const [ours, theirs] = await sameSecond(
      () => new DsqlSigner(config)[method](),
      () => new PeerDsqlSigner(config)[method](),
    );
    assert.strictEqual(ours, theirs, method);
  }
  const long = { ...config, expiresIn: 3600 };
  const [ours, theirs] = await sameSecond(
    () => new DsqlSigner(long).getDbConnectAuthToken(),
    () => new PeerDsqlSigner(long).getDbConnectAuthToken(),
  );
  assert.strictEqual(ours, theirs);
  assert.match(ours, /X-Amz-Expires=3600/);
});

test('bad configurations are InvalidArgument', () => {
  assert.throws(() => new Signer(), rdsIam.InvalidArgument);
  assert.throws(() => new DsqlSigner({ region: 'us-east-1' }), rdsIam.InvalidArgument);
});
