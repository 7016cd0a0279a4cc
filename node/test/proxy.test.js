'use strict';
// rdsIam.proxy(): the in-process IAM auth proxy, against iamdb. A client connects to `p.url`
// with no password; the proxy logs in upstream with a token (verify-full against iamdb's RDS
// name through signHost, iamdb's CA as `ca`).
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const pg = require('pg');
const mysql = require('mysql2/promise');

const { Signer, proxy } = rdsIam;
const WHO = 'SELECT current_user AS u';
let db;

before(async () => {
  db = await iamdb.up();
  useEnv({ AWS_ACCESS_KEY_ID: db.accessKeyId, AWS_SECRET_ACCESS_KEY: db.secretAccessKey });
});
after(async () => {
  if (db) await iamdb.down();
});

/** iamdb dialled at 127.0.0.1, its certificate checked against its RDS name. */
const signer = () =>
  new Signer({
    host: db.host,
    port: db.pgPort,
    user: db.user,
    region: db.region,
    signHost: db.rdsHost,
  });

const start = (options = {}) =>
  proxy(signer(), { database: db.database, ca: db.caFile, ...options });

/** `current_user` over a plain pg client on `url` (no password). */
async function who(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect(); // outside the try: a client that never connected is not ended
  try {
    return (await client.query(WHO)).rows[0].u;
  } finally {
    await client.end();
  }
}

/** Resolves true when nothing listens on the port any more. */
const refused = (port) =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    // a reset: the listener is closing
    s.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a pg client logs in through the proxy with no password', async () => {
  const mark = db.mark();
  const p = await start();
  try {
    assert.strictEqual(p.host, '127.0.0.1');
    assert.ok(p.port > 0);
    // the user and the database are percent-encoded
    assert.strictEqual(
      decodeURIComponent(p.url),
      `postgresql://${db.user}@127.0.0.1:${p.port}/${db.database}?sslmode=disable`,
    );
    const client = new pg.Client({ connectionString: p.url });
    await client.connect();
    assert.strictEqual((await client.query(WHO)).rows[0].u, db.user);
    assert.strictEqual(p.openSessions, 1);
    await client.end();
    for (let i = 0; p.openSessions !== 0 && i < 250; i++) await sleep(20);
    assert.strictEqual(p.openSessions, 0);
  } finally {
    await p.close();
  }
  const entries = db.logSince(mark).filter((e) => e.server === 'pg');
  assert.deepStrictEqual(
    entries.map((e) => e.outcome),
    ['accept'],
  );
});

test('a user not allowed gets SQLSTATE 28000 without the allowed list', async () => {
  const p = await start({ users: ['reader', db.user] });
  try {
    assert.strictEqual(await who(p.url), db.user);
    const client = new pg.Client({
      connectionString: `postgresql://someone_else@127.0.0.1:${p.port}/x?sslmode=disable`,
    });
    await assert.rejects(client.connect(), (e) => {
      assert.strictEqual(e.code, '28000');
      assert.match(e.message, /user "someone_else" may not log in/);
      assert.doesNotMatch(e.message, /allowed/); // the users list is the proxy's log's
      return true;
    });
  } finally {
    await p.close();
  }
});

test('the signer user is the one allowed by default', async () => {
  const p = await start();
  try {
    const client = new pg.Client({
      connectionString: `postgresql://admin@127.0.0.1:${p.port}/x?sslmode=disable`,
    });
    await assert.rejects(client.connect(), (e) => {
      assert.strictEqual(e.code, '28000');
      assert.match(e.message, /user "admin" may not log in through this proxy$/);
      return true;
    });
  } finally {
    await p.close();
  }
});

test('after close() the port refuses connections; close() again resolves', async () => {
  const p = await start();
  const port = p.port;
  assert.strictEqual(await refused(port), false);
  assert.strictEqual(p.closed, false);
  await p.close();
  assert.strictEqual(p.closed, true);
  assert.strictEqual(p.openSessions, 0);
  assert.strictEqual(await refused(port), true);
  await p.close();
  await Promise.all([p.close(), p.close()]);
  assert.strictEqual(p.port, port); // still readable
  await assert.rejects(who(p.url), { code: 'ECONNREFUSED' });
});

test('close() drains off the main thread: an open session goes on until it ends', async () => {
  const p = await start();
  const client = new pg.Client({ connectionString: p.url });
  await client.connect();
  const began = Date.now();
  let closed = false;
  const closing = p.close().then(() => {
    closed = true;
  });
  // the event loop runs while the proxy drains: the open session still answers
  assert.strictEqual((await client.query(WHO)).rows[0].u, db.user);
  assert.strictEqual(closed, false);
  await client.end();
  await closing;
  const took = Date.now() - began;
  assert.ok(took < 4500, `close took ${took} ms`);
  assert.strictEqual(await refused(p.port), true);
});

test('clientTls auto serves sslmode=require', async () => {
  const p = await start({ clientTls: 'auto' });
  try {
    // sslmode=require in a connection string means verify-full to pg-connection-string: the
    // self-signed certificate is taken as is here, as libpq's `require` does.
    const client = new pg.Client({
      host: p.host,
      port: p.port,
      user: db.user,
      database: db.database,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    try {
      assert.strictEqual((await client.query(WHO)).rows[0].u, db.user);
      assert.ok(client.connection.stream.encrypted);
    } finally {
      await client.end();
    }
  } finally {
    await p.close();
  }
});

test('clientTlsRequired refuses a plaintext client with 28000', async () => {
  const p = await start({ clientTls: 'auto', clientTlsRequired: true });
  try {
    const plain = new pg.Client({ connectionString: p.url });
    await assert.rejects(plain.connect(), (e) => {
      assert.strictEqual(e.code, '28000');
      assert.match(e.message, /requires TLS/);
      return true;
    });
    const client = new pg.Client({
      host: p.host,
      port: p.port,
      user: db.user,
      database: db.database,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    try {
      assert.strictEqual((await client.query(WHO)).rows[0].u, db.user);
    } finally {
      await client.end();
    }
  } finally {
    await p.close();
  }
});

test('maxConnections refuses past the limit with 53300', async () => {
  const p = await start({ maxConnections: 1 });
  const first = new pg.Client({ connectionString: p.url });
  try {
    await first.connect();
    const second = new pg.Client({ connectionString: p.url });
    await assert.rejects(second.connect(), { code: '53300' });
  } finally {
    await first.end();
    await p.close();
  }
});

test('a bad ca path is InvalidArgument naming it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-iam-proxy-'));
  const missing = path.join(dir, 'no-such-ca.pem');
  await assert.rejects(proxy(signer(), { ca: missing }), (e) => {
    assert.ok(e instanceof Error);
    assert.strictEqual(e.code, 'InvalidArgument');
    assert.ok(e.message.includes('`ca`') && e.message.includes(missing), e.message);
    return true;
  });
  const empty = path.join(dir, 'empty.pem');
  fs.writeFileSync(empty, 'no certificates\n');
  await assert.rejects(proxy(signer(), { ca: empty }), {
    code: 'InvalidArgument',
    message: /holds no certificate/,
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('argument errors are coded and name the option', async () => {
  const s = signer();
  const invalid = (re) => ({ code: 'InvalidArgument', message: re });
  assert.throws(() => proxy({ host: 'x' }), invalid(/`signer`: rdsIam\.proxy\(\) takes a Signer/));
  assert.throws(() => proxy(s, { databse: 'x' }), invalid(/unknown option `databse`/));
  assert.throws(() => proxy(s, { users: 'app' }), invalid(/`users`.*array of user names/));
  assert.throws(() => proxy(s, { users: ['a', 1] }), invalid(/`users`.*a number at 1/));
  assert.throws(() => proxy(s, { listen: 'localhost:1' }), invalid(/`listen`.*IP address/));
  assert.throws(() => proxy(s, { clientTls: 'on' }), invalid(/`clientTls`.*not 'auto'/));
  assert.throws(() => proxy(s, { clientTls: { cert: 'c' } }), invalid(/`key` is required/));
  assert.throws(() => proxy(s, { maxConnections: -1 }), invalid(/`maxConnections`/));
  assert.throws(() => proxy(s, { clientTlsRequired: 'yes' }), invalid(/`clientTlsRequired`/));
  await assert.rejects(proxy(s, { clientTlsRequired: true }), invalid(/`client_tls_required`/));
  await assert.rejects(proxy(s, { listen: '0.0.0.0:0' }), invalid(/not a loopback address/));
  await assert.rejects(
    proxy(s, { clientTls: { cert: '/nonexistent/c.pem', key: '/nonexistent/k.pem' } }),
    invalid(/cannot read the certificate file \/nonexistent\/c\.pem/),
  );
});

test('listen on a port of one’s choosing; a port taken is InvalidArgument', async () => {
  const first = await start();
  const taken = `127.0.0.1:${first.port}`;
  try {
    await assert.rejects(start({ listen: taken }), invalid(/`listen`.*cannot listen/));
  } finally {
    await first.close();
  }
  const again = await start({ listen: taken });
  try {
    assert.strictEqual(again.port, first.port);
    assert.strictEqual(await who(again.url), db.user);
  } finally {
    await again.close();
  }
  function invalid(re) {
    return { code: 'InvalidArgument', message: re };
  }
});

test('inspect and JSON show no secret', async () => {
  const s = signer();
  const p = await proxy(s, { database: db.database, ca: db.caFile });
  try {
    assert.strictEqual(await who(p.url), db.user);
    const token = await s.token();
    const shown = [util.inspect(p, { showHidden: true, depth: 5 }), JSON.stringify(p)];
    for (const text of shown) {
      assert.ok(!text.includes(token), 'the token is not shown');
      assert.ok(!text.includes(db.secretAccessKey), 'the secret key is not shown');
      assert.ok(!text.includes('X-Amz-Signature'), 'no signature is shown');
    }
    assert.deepStrictEqual(JSON.parse(JSON.stringify(p)), {
      url: p.url,
      host: '127.0.0.1',
      port: p.port,
      closed: false,
    });
  } finally {
    await p.close();
  }
});

test('mysql: a mysql2 client logs in through the proxy with no password', async () => {
  const s = new Signer({
    host: db.host,
    port: db.mysqlPort,
    user: db.user,
    region: db.region,
    signHost: db.rdsHost,
  });
  const p = await proxy(s, { database: db.database, ca: db.caFile, engine: 'mysql' });
  try {
    assert.strictEqual(
      decodeURIComponent(p.url),
      `mysql://${db.user}@127.0.0.1:${p.port}/${db.database}`,
    );
    const conn = await mysql.createConnection({
      host: p.host,
      port: p.port,
      user: db.user,
      database: db.database,
    });
    try {
      const [rows] = await conn.query("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS u");
      assert.strictEqual(rows[0].u, db.user);
    } finally {
      await conn.end();
    }
    await assert.rejects(
      mysql.createConnection({ host: p.host, port: p.port, user: 'someone_else' }),
      (e) => {
        assert.strictEqual(e.errno, 1045);
        assert.match(e.message, /user "someone_else" may not log in/);
        assert.doesNotMatch(e.message, /allowed/);
        return true;
      },
    );
  } finally {
    await p.close();
  }
  assert.throws(() => proxy(s, { engine: 'oracle' }), {
    code: 'InvalidArgument',
    message: /`engine`.*not an engine/,
  });
});
