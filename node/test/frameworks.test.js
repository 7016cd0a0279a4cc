'use strict';
// The ORMs' one-liners (node/README.md's integration table) against iamdb, with the real
// packages: every new physical connection must log in with a token from the signer, so a pool
// keeps connecting after the server-side max age. Each framework opens its pool with the line
// the README shows (plus pool sizing and the test CA).
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const { generatePrismaClient } = require('./prisma/generate.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const { PrismaPg } = require('@prisma/adapter-pg');
const { sql: drizzleSql } = require('drizzle-orm');
const drizzlePg = require('drizzle-orm/node-postgres');
const drizzlePostgresJs = require('drizzle-orm/postgres-js');
const drizzleMysql2 = require('drizzle-orm/mysql2');
const { DataSource } = require('typeorm');
const { Sequelize, QueryTypes } = require('sequelize');

const { Signer, stats, clearCaches } = rdsIam;
let db;
let ca;
let PrismaClient;

before(async () => {
  ({ PrismaClient } = generatePrismaClient());
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
// Pools below close a connection idle for 100 ms (mysql2's pools check once a second): waiting
// this long before a round makes every connection in it a new physical one.
const PG_EVICT_MS = 400;
const MYSQL2_EVICT_MS = 1300;
const PG_QUERY = 'SELECT current_user::text AS u FROM pg_sleep(0.05)';
const MYSQL_QUERY = 'SELECT CURRENT_USER() AS u, SLEEP(0.05) AS s';
const mysqlUser = (u) => u.split('@')[0];

/**
 * Each framework: `open(signer, n)` its pool (connecting first where the framework does, so
 * its start-up connections come before the test's log mark), `hold(handle)` one connection for
 * a transaction that returns current_user, `close(handle)`.
 */
const FRAMEWORKS = {
  'prisma (adapter-pg)': {
    port: () => db.pgPort,
    evictMs: PG_EVICT_MS,
    // new PrismaClient({ adapter: new PrismaPg({ ...rdsIam.pg(signer), database }) })
    open: async (signer, n) =>
      new PrismaClient({
        adapter: new PrismaPg({
          ...rdsIam.pg(signer, { ca }),
          database: db.database,
          max: n,
          idleTimeoutMillis: 100,
        }),
      }),
    hold: (p) => p.$transaction(async (tx) => (await tx.$queryRawUnsafe(PG_QUERY))[0].u),
    close: (p) => p.$disconnect(),
  },
  'drizzle (pg)': {
    port: () => db.pgPort,
    evictMs: PG_EVICT_MS,
    // drizzle({ connection: { ...rdsIam.pg(signer), database } })
    open: async (signer, n) =>
      drizzlePg.drizzle({
        connection: {
          ...rdsIam.pg(signer, { ca }),
          database: db.database,
          max: n,
          idleTimeoutMillis: 100,
        },
      }),
    hold: (d) =>
      d.transaction(async (tx) => (await tx.execute(drizzleSql.raw(PG_QUERY))).rows[0].u),
    close: (d) => d.$client.end(),
  },
  'drizzle (postgres.js)': {
    port: () => db.pgPort,
    evictMs: PG_EVICT_MS,
    // drizzle({ connection: { ...rdsIam.postgres(signer), database } })
    open: async (signer, n) =>
      drizzlePostgresJs.drizzle({
        connection: {
          ...rdsIam.postgres(signer, { ca }),
          database: db.database,
          max: n,
          idle_timeout: 0.1,
          onnotice: () => {},
        },
      }),
    hold: (d) => d.transaction(async (tx) => (await tx.execute(drizzleSql.raw(PG_QUERY)))[0].u),
    close: (d) => d.$client.end({ timeout: 1 }),
  },
  'drizzle (mysql2)': {
    port: () => db.mysqlPort,
    evictMs: MYSQL2_EVICT_MS,
    // drizzle({ connection: { ...rdsIam.mysql2(signer), database } })
    open: async (signer, n) =>
      drizzleMysql2.drizzle({
        connection: {
          ...rdsIam.mysql2(signer, { ca }),
          database: db.database,
          connectionLimit: n,
          maxIdle: 0,
        },
      }),
    hold: (d) =>
      d.transaction(async (tx) =>
        mysqlUser((await tx.execute(drizzleSql.raw(MYSQL_QUERY)))[0][0].u),
      ),
    close: (d) => new Promise((resolve) => d.$client.end(resolve)), // mysql2's callback pool
  },
  'typeorm (postgres)': {
    port: () => db.pgPort,
    evictMs: PG_EVICT_MS,
    // new DataSource({ type: 'postgres', database, extra: rdsIam.pg(signer) })
    open: async (signer, n) =>
      new DataSource({
        type: 'postgres',
        database: db.database,
        extra: { ...rdsIam.pg(signer, { ca }), max: n, idleTimeoutMillis: 100 },
      }).initialize(),
    hold: (ds) => ds.transaction(async (m) => (await m.query(PG_QUERY))[0].u),
    close: (ds) => ds.destroy(),
  },
  'typeorm (mysql)': {
    port: () => db.mysqlPort,
    evictMs: MYSQL2_EVICT_MS,
    // new DataSource({ type: 'mysql', database, extra: rdsIam.mysql2(signer) })
    open: async (signer, n) =>
      new DataSource({
        type: 'mysql',
        database: db.database,
        extra: { ...rdsIam.mysql2(signer, { ca }), connectionLimit: n, maxIdle: 0 },
      }).initialize(),
    hold: (ds) => ds.transaction(async (m) => mysqlUser((await m.query(MYSQL_QUERY))[0].u)),
    close: (ds) => ds.destroy(),
  },
  ...Object.fromEntries(
    [
      ['postgres', () => db.pgPort, PG_QUERY, (u) => u],
      ['mysql', () => db.mysqlPort, MYSQL_QUERY, mysqlUser],
      ['mariadb', () => db.mysqlPort, MYSQL_QUERY, mysqlUser],
    ].map(([dialect, port, query, user]) => [
      `sequelize (${dialect})`,
      {
        port,
        evictMs: PG_EVICT_MS, // Sequelize's own pool evicts (every 50 ms here)
        // new Sequelize({ ...rdsIam.sequelize(signer, { dialect }), database })
        open: async (signer, n) => {
          const sq = new Sequelize({
            ...rdsIam.sequelize(signer, { dialect, ca }),
            database: db.database,
            pool: { max: n, min: 0, idle: 100, evict: 50 },
            logging: false,
          });
          await sq.authenticate(); // its first connection also reads the server version
          return sq;
        },
        hold: (sq) =>
          sq.transaction(async (transaction) => {
            const rows = await sq.query(query, { transaction, type: QueryTypes.SELECT });
            return user(rows[0].u);
          }),
        close: (sq) => sq.close(),
      },
    ]),
  ),
};

/** One round: n new physical connections at once (the pool emptied first), their users. */
async function connectAll(f, handle, n) {
  await sleep(f.evictMs);
  return Promise.all(Array.from({ length: n }, () => f.hold(handle)));
}

function signerFor(name, extra = {}) {
  return new Signer({
    host: db.host,
    port: FRAMEWORKS[name].port(),
    user: db.user,
    region: db.region,
    ...extra,
  });
}

for (const [name, f] of Object.entries(FRAMEWORKS)) {
  test(`${name}: every new connection logs in with the signer's token (N connections, 1 signature)`, async () => {
    clearCaches();
    const n = 3;
    const signer = signerFor(name, { reuseFor: 60 });
    const before = stats().signatures;
    const handle = await f.open(signer, n);
    try {
      const mark = db.mark();
      assert.deepStrictEqual(await connectAll(f, handle, n), Array(n).fill(db.user));
      assert.deepStrictEqual(await connectAll(f, handle, n), Array(n).fill(db.user));
      assert.strictEqual(stats().signatures - before, 1, 'one token for every connection');
      const log = db.logSince(mark).filter((e) => e.endpoint === `${db.host}:${f.port()}`);
      assert.strictEqual(log.length, 2 * n, JSON.stringify(log));
      for (const e of log) {
        assert.strictEqual(e.outcome, 'accept', JSON.stringify(e));
        assert.strictEqual(e.access_key_id, db.accessKeyId);
      }
    } finally {
      await f.close(handle);
    }
  });
}

test('every framework keeps connecting after the server-side max age (all at once)', async () => {
  const maxAge = 3;
  const names = Object.keys(FRAMEWORKS);
  await db.setMaxAge(maxAge);
  const open = [];
  try {
    clearCaches();
    const runs = await Promise.all(
      names.map(async (name) => {
        const f = FRAMEWORKS[name];
        const signer = signerFor(name, { reuseFor: 1 });
        const handle = await f.open(signer, 2);
        open.push([f, handle]);
        const first = await signer.token();
        assert.deepStrictEqual(await connectAll(f, handle, 2), [db.user, db.user], name);
        return { name, f, signer, handle, first };
      }),
    );
    await sleep((maxAge + 1) * 1000);

    const mark = db.mark();
    await Promise.all(
      runs.map(async ({ name, f, signer, handle, first }) => {
        assert.deepStrictEqual(await connectAll(f, handle, 2), [db.user, db.user], name);
        assert.notStrictEqual(await signer.token(), first, `${name}: a new token after reuseFor`);
      }),
    );
    const log = db.logSince(mark);
    assert.ok(log.length >= 2 * names.length, JSON.stringify(log));
    for (const e of log) {
      assert.ok(e.outcome === 'accept' && e.token_age_s < maxAge, JSON.stringify(e));
    }

    // The first tokens are now too old for the server: the same line with a frozen password fails.
    const mark2 = db.mark();
    await Promise.all(
      runs.map(async ({ name, f, first }) => {
        const stale = async () => first;
        const frozen = {
          host: db.host,
          port: f.port(),
          user: db.user,
          token: stale,
          password: stale,
        };
        let handle;
        await assert.rejects(
          (async () => {
            handle = await f.open(frozen, 1);
            await connectAll(f, handle, 1);
          })(),
          undefined,
          `${name} must fail with a frozen token`,
        );
        if (handle) await f.close(handle).catch(() => {});
      }),
    );
    const expired = db
      .logSince(mark2)
      .filter((e) => e.outcome === 'reject' && e.reason === 'expired');
    assert.ok(expired.length >= names.length, JSON.stringify(expired));
  } finally {
    await Promise.all(open.map(([f, handle]) => f.close(handle).catch(() => {})));
    await db.setMaxAge(900);
  }
});

test('prisma: the generated client reads and writes models through the adapter-pg pool', async () => {
  clearCaches();
  const signer = signerFor('prisma (adapter-pg)');
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ ...rdsIam.pg(signer, { ca }), database: db.database }),
  });
  try {
    // no schema engine here (prisma migrate would download one): the table by hand
    await prisma.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS "Note" (id serial PRIMARY KEY, body text NOT NULL)',
    );
    const body = `note ${process.pid} ${Date.now()}`;
    const created = await prisma.note.create({ data: { body } });
    assert.strictEqual(typeof created.id, 'number');
    const found = await prisma.note.findUnique({ where: { id: created.id } });
    assert.deepStrictEqual(found, { id: created.id, body });
    await prisma.note.delete({ where: { id: created.id } });
    assert.strictEqual(await prisma.note.findUnique({ where: { id: created.id } }), null);
  } finally {
    await prisma.$disconnect();
  }
});

test('sequelize helper: settings per dialect, TLS by default, typed errors', async () => {
  const signer = signerFor('sequelize (postgres)');
  const pgSettings = rdsIam.sequelize(signer);
  assert.strictEqual(pgSettings.dialect, 'postgres');
  assert.deepStrictEqual(
    [pgSettings.host, pgSettings.port, pgSettings.username],
    [db.host, db.pgPort, db.user],
  );
  // what Sequelize deep-copies holds no SecureContext (a copy crashes Node); the hook puts the
  // live TLS options back and sets the token
  assert.strictEqual(pgSettings.dialectOptions.ssl.secureContext, undefined);
  assert.strictEqual(pgSettings.dialectOptions.ssl.rejectUnauthorized, true);
  assert.ok(pgSettings.dialectOptions.ssl.ca.includes(rdsIam.caBundle));
  const config = { password: null, dialectOptions: { ...pgSettings.dialectOptions, keep: 1 } };
  await pgSettings.hooks.beforeConnect(config);
  assert.strictEqual(config.password, await signer.token());
  assert.deepStrictEqual(config.dialectOptions, { ssl: rdsIam.tls(), keep: 1 });

  const my = rdsIam.sequelize(signerFor('sequelize (mysql)'), { dialect: 'mysql' });
  assert.strictEqual(my.dialectOptions.ssl.verifyIdentity, true);
  assert.strictEqual(my.dialectOptions.ssl.secureContext, undefined);
  assert.strictEqual(typeof my.dialectOptions.authPlugins.mysql_clear_password, 'function');
  const myConfig = { password: null, dialectOptions: my.dialectOptions };
  await my.hooks.beforeConnect(myConfig);
  assert.strictEqual(myConfig.password, null, 'mysql2 asks through its auth plugin');
  assert.ok(myConfig.dialectOptions.ssl.secureContext, 'the live TLS options are back');

  assert.deepStrictEqual(
    rdsIam.sequelize(signer, { dialect: 'mariadb', ssl: false }).dialectOptions,
    {
      ssl: false,
    },
  );
  assert.throws(
    () => rdsIam.sequelize(signer, { dialect: 'sqlite' }),
    (e) => e.code === 'InvalidArgument' && /dialect/.test(e.message) && /'mariadb'/.test(e.message),
  );
  assert.throws(
    () => rdsIam.sequelize({}),
    (e) => e.code === 'InvalidArgument' && /rdsIam\.sequelize\(\) takes a Signer/.test(e.message),
  );
});
