'use strict';
// Aurora DSQL the way its users address it (a cluster id, `admin` → DbConnectAdmin) and
// `signer.url()`: each driver's URL parser reads back the same token, and logs in to iamdb with
// it (iamdb's PostgreSQL also answers as a DSQL cluster).
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const pg = require('pg');
const postgres = require('postgres');
const mysql = require('mysql2');

const { Signer } = rdsIam;
const CLUSTER = 'abcdefghijklmnopqrstuvwxyz';
/** Credentials whose tokens hold every character a URL must encode (`%`, `/`, `+`, `=`). */
const HARD = {
  accessKeyId: 'ASIAEXAMPLE000000002',
  secretAccessKey: 'secret/with+chars=',
  sessionToken: 'IQoJb3JpZ2luX2Vj/+=%40:@?&#x',
};
let db;
let ca;
let tmp;

before(async () => {
  db = await iamdb.up();
  ca = fs.readFileSync(db.caFile, 'utf8');
  await db.addKey(HARD);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-iam url '));
  useEnv({ AWS_ACCESS_KEY_ID: db.accessKeyId, AWS_SECRET_ACCESS_KEY: db.secretAccessKey });
});
after(async () => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (db) await iamdb.down();
});

test('a cluster id and region name the DSQL endpoint; admin signs DbConnectAdmin', () => {
  const host = `${CLUSTER}.dsql.eu-west-1.on.aws`;
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const admin = new Signer({ clusterId: CLUSTER, region: 'eu-west-1', user: 'admin', credentials });
  assert.deepStrictEqual([admin.host, admin.signHost, admin.port], [host, host, 5432]);
  assert.ok(admin.tokenSync().startsWith(`${host}/?Action=DbConnectAdmin&`));
  const app = new Signer({ host, user: 'app', credentials });
  assert.ok(app.tokenSync().startsWith(`${host}/?Action=DbConnect&`));
  const explicit = new Signer({ host, user: 'admin', kind: 'dsql_connect', credentials });
  assert.ok(explicit.tokenSync().startsWith(`${host}/?Action=DbConnect&`));
});

test('DSQL mistakes name the option to pass', () => {
  const bad = (options, re) =>
    assert.throws(
      () => new Signer(options),
      (e) => e.code === 'InvalidArgument' && re.test(e.message),
    );
  bad({ clusterId: CLUSTER, user: 'admin' }, /`clusterId` names the endpoint.*pass `region` too/);
  bad(
    { clusterId: 'x.dsql.us-east-1.on.aws', region: 'us-east-1' },
    /the whole endpoint as `host`/,
  );
  bad({ host: `${CLUSTER}.dsql.us-east-1.on.aws` }, /`user` `admin`/);
});

test('each driver parses the URL back to the same token, user and database', async () => {
  const caFile = path.join(tmp, 'ca.pem');
  fs.writeFileSync(caFile, ca);
  const signer = new Signer({
    host: 'db.abc.us-east-1.rds.amazonaws.com',
    user: 'app:user@x',
    credentials: HARD,
  });
  const token = signer.tokenSync();
  // pg and postgres.js do not decode the database name (node/README says so): a plain one here.
  const url = await signer.url({ database: 'my_db', caFile });
  assert.ok(token.includes('%') && url.split('@').length === 2);
  const viaPg = new pg.Client({ connectionString: url }).connectionParameters;
  assert.deepStrictEqual(
    [viaPg.password, viaPg.user, viaPg.database],
    [token, 'app:user@x', 'my_db'],
  );
  const sql = postgres(url);
  try {
    assert.deepStrictEqual(
      [sql.options.pass, sql.options.user, sql.options.database],
      [token, 'app:user@x', 'my_db'],
    );
    // postgres.js knows no sslrootcert: it would send it to the server as a setting (which
    // refuses it), so postgres.js users take rdsIam.postgres(signer), not the URL.
    assert.strictEqual(sql.options.connection.sslrootcert, caFile);
  } finally {
    await sql.end();
  }
  const mySigner = new Signer({
    host: 'db.abc.us-east-1.rds.amazonaws.com:3306',
    user: 'app:user@x',
    credentials: HARD,
  });
  const myToken = mySigner.tokenSync();
  const mysqlUrl = await mySigner.url({ driver: 'mysql', database: 'app', caFile });
  assert.ok(mysqlUrl.endsWith(`?ssl-mode=VERIFY_IDENTITY&ssl-ca=${caFile.replaceAll(' ', '%20')}`));
  const warn = console.error;
  console.error = () => {}; // mysql2 warns about the MySQL client's option names it ignores
  let viaMysql2;
  try {
    viaMysql2 = new mysql.ConnectionConfig(mysqlUrl);
  } finally {
    console.error = warn;
  }
  assert.deepStrictEqual(
    [viaMysql2.password, viaMysql2.user, viaMysql2.database],
    [myToken, 'app:user@x', 'app'],
  );
});

test('bad url() options fail before any token', async () => {
  const signer = new Signer({
    host: 'db.local',
    user: 'app',
    region: 'us-east-1',
    credentials: HARD,
  });
  assert.throws(() => signer.url({ driver: 'sqlite' }), /not a URL driver/);
  assert.throws(() => signer.url({ databse: 'x' }), /unknown option `databse`/);
  assert.throws(() => signer.url({ database: '' }), /database/);
});

test('pg logs in to iamdb with the URL', async () => {
  const signer = new Signer({
    host: db.host,
    port: db.pgPort,
    user: db.user,
    region: db.region,
    credentials: HARD,
  });
  const client = new pg.Client({
    connectionString: await signer.url({ database: db.database, caFile: db.caFile }),
  });
  await client.connect();
  try {
    assert.strictEqual((await client.query('SELECT current_user AS u')).rows[0].u, db.user);
  } finally {
    await client.end();
  }
});

/** iamdb's DSQL cluster by id, dialled at 127.0.0.1 (in production `host` is left out). */
const dsqlSigner = (user) =>
  new Signer({
    clusterId: db.dsqlClusterId,
    region: db.region,
    user,
    host: db.host,
    port: db.pgPort,
  });

test('DSQL one-liner: pg', async () => {
  const mark = db.mark();
  const pool = new pg.Pool({ ...rdsIam.pg(dsqlSigner('admin'), { ca }), database: 'postgres' });
  try {
    assert.strictEqual((await pool.query('SELECT current_user AS u')).rows[0].u, 'admin');
  } finally {
    await pool.end();
  }
  const logged = db.logSince(mark);
  assert.deepStrictEqual(
    logged.map((e) => [e.outcome, e.endpoint, e.action]),
    [['accept', db.dsqlHost, 'DbConnectAdmin']],
  );
});

test('DSQL one-liner: postgres.js, a custom role', async () => {
  const sql = postgres({ ...rdsIam.postgres(dsqlSigner(db.user), { ca }), database: 'postgres' });
  try {
    const [{ u }] = await sql`SELECT current_user AS u`;
    assert.strictEqual(u, db.user);
  } finally {
    await sql.end();
  }
});
