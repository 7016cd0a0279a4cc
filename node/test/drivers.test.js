'use strict';
// Real logins to iamdb (local PostgreSQL + MariaDB that verify IAM tokens like RDS) through
// each driver's hook, with tokens from the default credential chain (environment keys).
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const { start } = require(path.join(REPO, 'tests', 'fakeaws', 'fakeaws.js'));
const pg = require('pg');
const postgres = require('postgres');
const mysql = require('mysql2/promise');
const knex = require('knex');

const { Signer, stats, clearCaches } = rdsIam;
let db;
let ca;
let fake;

before(async () => {
  db = await iamdb.up();
  fake = await start();
  ca = fs.readFileSync(db.caFile, 'utf8');
  useEnv({
    AWS_ACCESS_KEY_ID: db.accessKeyId,
    AWS_SECRET_ACCESS_KEY: db.secretAccessKey,
    AWS_REGION: db.region,
    AWS_ENDPOINT_URL_STS: fake.url,
  });
});
after(async () => {
  if (fake) await fake.stop();
  if (db) await iamdb.down();
});

const signatures = () => stats().signatures;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Each driver: open a pool whose every new physical connection asks the signer. */
const DRIVERS = {
  pg: {
    port: () => db.pgPort,
    // one line: password: signer.password
    open: (signer, n) =>
      new pg.Pool({
        host: db.host,
        port: db.pgPort,
        user: db.user,
        database: db.database,
        ssl: { ca },
        password: signer.password,
        max: n,
        idleTimeoutMillis: 200,
      }),
    // n distinct physical connections, each asked for current_user, then closed
    connectAll: async (pool, n) => {
      const clients = await Promise.all(Array.from({ length: n }, () => pool.connect()));
      const users = await Promise.all(
        clients.map(async (c) => (await c.query('SELECT current_user AS u')).rows[0].u),
      );
      for (const c of clients) c.release(true);
      return users;
    },
    close: (pool) => pool.end(),
  },
  'postgres.js': {
    port: () => db.pgPort,
    open: (signer, n) =>
      postgres({
        host: db.host,
        port: db.pgPort,
        username: db.user,
        database: db.database,
        ssl: { ca },
        password: signer.password,
        max: n,
        idle_timeout: 0.2,
        onnotice: () => {},
      }),
    connectAll: async (sql, n) => {
      const reserved = await Promise.all(Array.from({ length: n }, () => sql.reserve()));
      const users = await Promise.all(
        reserved.map(async (r) => (await r`SELECT current_user AS u`)[0].u),
      );
      for (const r of reserved) r.release();
      await sleep(600); // idle_timeout closes them, so the next round opens new connections
      return users;
    },
    close: (sql) => sql.end({ timeout: 1 }),
  },
  mysql2: {
    port: () => db.mysqlPort,
    // one line: ...rdsIam.mysql2(signer)
    open: (signer, n) =>
      mysql.createPool({
        ...rdsIam.mysql2(signer, { ssl: { ca } }),
        database: db.database,
        connectionLimit: n,
      }),
    connectAll: async (pool, n) => {
      const conns = await Promise.all(Array.from({ length: n }, () => pool.getConnection()));
      const users = await Promise.all(
        conns.map(async (c) => (await c.query('SELECT CURRENT_USER() AS u'))[0][0].u.split('@')[0]),
      );
      for (const c of conns) c.destroy();
      return users;
    },
    close: (pool) => pool.end(),
  },
  'knex (pg)': {
    port: () => db.pgPort,
    // a static connection object with pg's own password callback
    open: (signer, n) =>
      knex({
        client: 'pg',
        connection: {
          host: db.host,
          port: db.pgPort,
          user: db.user,
          database: db.database,
          ssl: { ca },
          password: signer.password,
        },
        pool: { min: 0, max: n, idleTimeoutMillis: 200, reapIntervalMillis: 50 },
        log: { warn() {}, error() {}, debug() {}, deprecate() {} }, // failures are asserted instead
      }),
    connectAll: async (k, n) => {
      const users = await Promise.all(
        Array.from({ length: n }, () =>
          k.transaction(async (trx) => {
            const r = await trx.raw('SELECT current_user AS u, pg_sleep(0.05)');
            return r.rows[0].u;
          }),
        ),
      );
      await sleep(500); // reaped when idle, so the next round opens new connections
      return users;
    },
    close: (k) => k.destroy(),
  },
};

function signerFor(driver, extra = {}) {
  return new Signer({
    host: db.host,
    port: DRIVERS[driver].port(),
    user: db.user,
    region: db.region,
    ...extra,
  });
}

for (const driver of Object.keys(DRIVERS)) {
  test(`${driver}: logs in with IAM tokens; N connections inside reuseFor → 1 signature`, async () => {
    const d = DRIVERS[driver];
    clearCaches();
    const n = 4;
    const signer = signerFor(driver, { reuseFor: 60 });
    const pool = d.open(signer, n);
    try {
      const mark = db.mark();
      const before = signatures();
      assert.deepStrictEqual(await d.connectAll(pool, n), Array(n).fill(db.user));
      assert.deepStrictEqual(await d.connectAll(pool, n), Array(n).fill(db.user));
      assert.strictEqual(signatures() - before, 1, 'one token for all 2N connections');
      const log = db.logSince(mark).filter((e) => e.endpoint === `${db.host}:${d.port()}`);
      assert.strictEqual(log.length, 2 * n, JSON.stringify(log));
      for (const e of log) {
        assert.strictEqual(e.outcome, 'accept', JSON.stringify(e));
        assert.strictEqual(e.access_key_id, db.accessKeyId);
      }
    } finally {
      await d.close(pool);
    }
  });
}

test('a pool keeps connecting after the server-side max age has passed (short reuseFor)', async (t) => {
  const maxAge = 3;
  await db.setMaxAge(maxAge);
  try {
    for (const driver of Object.keys(DRIVERS)) {
      await t.test(driver, async () => {
        const d = DRIVERS[driver];
        clearCaches();
        const signer = signerFor(driver, { reuseFor: 1 });
        const pool = d.open(signer, 2);
        try {
          const first = await signer.token();
          assert.deepStrictEqual(await d.connectAll(pool, 2), [db.user, db.user]);
          await sleep((maxAge + 1) * 1000);
          const mark = db.mark();
          assert.deepStrictEqual(await d.connectAll(pool, 2), [db.user, db.user]);
          assert.notStrictEqual(await signer.token(), first, 'a new token after reuseFor');
          const log = db.logSince(mark).filter((e) => e.endpoint === `${db.host}:${d.port()}`);
          assert.ok(
            log.length >= 2 && log.every((e) => e.outcome === 'accept' && e.token_age_s < maxAge),
            JSON.stringify(log),
          );
          // the first token is now too old for the server: a frozen password would fail here
          const stale = async () => first;
          const frozenSigner = {
            host: db.host,
            port: d.port(),
            user: db.user,
            token: stale,
            password: stale,
          };
          const frozen = d.open(frozenSigner, 1);
          const mark2 = db.mark();
          try {
            await assert.rejects(d.connectAll(frozen, 1));
          } finally {
            await d.close(frozen).catch(() => {});
          }
          assert.ok(
            db.logSince(mark2).some((e) => e.outcome === 'reject' && e.reason === 'expired'),
          );
        } finally {
          await d.close(pool);
        }
      });
    }
  } finally {
    await db.setMaxAge(900);
  }
});

test('temporary credentials from STS (roleArn): session-token tokens log in', async () => {
  clearCaches();
  await fake.reset();
  const signer = signerFor('pg', {
    roleArn: 'arn:aws:iam::123456789012:role/db-login',
    roleSessionName: 'node-iamdb',
  });
  const info = await signer.tokenInfo();
  assert.match(info.accessKeyId, /^ASIAASSUMED/);
  // Tell iamdb about the assumed key: the secret follows fakeaws's scheme, the session token is
  // the one the signer put in the token.
  const sessionToken = new URLSearchParams(info.token.split('?')[1]).get('X-Amz-Security-Token');
  assert.ok(sessionToken && sessionToken.length > 500);
  const serial = Number(info.accessKeyId.slice('ASIAASSUMED'.length));
  const secret = `fakeaws/assumed/secret/${String(serial).padStart(6, '0')}`.padEnd(40, 'K');
  await db.addKey({ accessKeyId: info.accessKeyId, secretAccessKey: secret, sessionToken });
  const [call] = await fake.calls('sts', 'AssumeRole');
  assert.strictEqual(
    call.caller_access_key_id,
    db.accessKeyId,
    'assumed with the default-chain key',
  );
  assert.ok(info.expiresAt.getTime() <= info.signedAt.getTime() + 900_000);

  const mark = db.mark();
  const pool = new pg.Pool({
    host: db.host,
    port: db.pgPort,
    user: db.user,
    database: db.database,
    ssl: { ca },
    password: signer.password,
  });
  const my = mysql.createPool({
    ...rdsIam.mysql2(
      signerFor('mysql2', {
        roleArn: 'arn:aws:iam::123456789012:role/db-login',
        roleSessionName: 'node-iamdb',
      }),
      { ssl: { ca } },
    ),
    database: db.database,
  });
  try {
    assert.strictEqual((await pool.query('SELECT current_user AS u')).rows[0].u, db.user);
    assert.strictEqual(
      (await my.query('SELECT CURRENT_USER() AS u'))[0][0].u.split('@')[0],
      db.user,
    );
  } finally {
    await pool.end();
    await my.end();
  }
  const log = db.logSince(mark);
  assert.ok(
    log.length >= 2 &&
      log.every((e) => e.outcome === 'accept' && e.access_key_id === info.accessKeyId),
    JSON.stringify(log),
  );
  assert.strictEqual(
    (await fake.counts()).sts_AssumeRole,
    1,
    'both signers share the assumed credentials',
  );
});

test('mysql2 helper: verifying TLS by default, the cleartext plugin answers with the token', async () => {
  const signer = signerFor('mysql2');
  const settings = rdsIam.mysql2(signer);
  assert.strictEqual(settings.ssl.rejectUnauthorized, true);
  assert.strictEqual(settings.ssl.verifyIdentity, true);
  assert.ok(settings.ssl.ca.includes(rdsIam.caBundle));
  assert.deepStrictEqual(
    [settings.host, settings.port, settings.user],
    [db.host, db.mysqlPort, db.user],
  );
  const answer = await settings.authPlugins.mysql_clear_password({})(Buffer.alloc(0));
  assert.strictEqual(answer.toString(), `${await signer.token()}\0`);
  assert.deepStrictEqual(rdsIam.mysql2(signer, { ssl: false }).ssl, false);
  assert.deepStrictEqual(rdsIam.pg(signer).ssl, rdsIam.tls());
  assert.strictEqual(rdsIam.pg(signer).password, signer.password);
  assert.deepStrictEqual(rdsIam.postgres(signer).ssl, rdsIam.tls());
  assert.throws(
    () => rdsIam.mysql2({}),
    (e) => e.code === 'InvalidArgument',
  );
  // without TLS the server refuses (REQUIRE SSL / hostnossl reject): the helper default matters
  const plain = mysql.createPool({ ...settings, ssl: undefined, database: db.database });
  await assert.rejects(plain.query('SELECT 1'));
  await plain.end();
});

test("the helpers' settings log in as given (pg and postgres.js helpers, { ca } passed)", async () => {
  const signer = signerFor('pg');
  const pool = new pg.Pool({ ...rdsIam.pg(signer, { ca }), database: db.database });
  const sql = postgres({
    ...rdsIam.postgres(signer, { ca }),
    database: db.database,
    onnotice: () => {},
  });
  try {
    assert.strictEqual((await pool.query('SELECT current_user AS u')).rows[0].u, db.user);
    assert.strictEqual((await sql`SELECT current_user AS u`)[0].u, db.user);
  } finally {
    await pool.end();
    await sql.end({ timeout: 1 });
  }
});
