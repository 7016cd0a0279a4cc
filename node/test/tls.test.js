'use strict';
// TLS of every driver helper against iamdb, whose certificate (names: db.rdsHost, 127.0.0.1,
// localhost) is issued by its own test CA:
// - with the defaults the login fails on certificate verification before a token is sent
//   (iamdb's CA is not in the default trust: Node's CAs + the RDS bundle), so verification is on;
// - with iamdb's CA passed the documented way (`{ ca }`) it logs in, via 127.0.0.1 and via a
//   tunnel (dial 127.0.0.1, signHost = the RDS-style name the certificate carries);
// - a certificate for another name is refused; `verify: false` logs in and warns once.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const nodeTls = require('node:tls');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO, rdsIam, useEnv } = require('./helpers.js');
const iamdb = require(path.join(REPO, 'tests', 'iamdb', 'iamdb.js'));
const pg = require('pg');
const postgres = require('postgres');
const mysql = require('mysql2/promise');
const knex = require('knex');

const OTHER_HOST = 'db.cluster-other.us-east-1.rds.amazonaws.com';
const CERT_ERROR = /CERT|certificate|self.signed|altname|issuer/i;
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

/** Each helper: log in once with its settings (options = the helper's TLS options), return current_user. */
const HELPERS = {
  pg: {
    port: () => db.pgPort,
    login: async (signer, options) => {
      const client = new pg.Client({
        ...rdsIam.pg(signer, options),
        database: db.database,
        connectionTimeoutMillis: 10000,
      });
      await client.connect();
      try {
        return (await client.query('SELECT current_user AS u')).rows[0].u;
      } finally {
        await client.end();
      }
    },
  },
  'postgres.js': {
    port: () => db.pgPort,
    login: async (signer, options) => {
      const sql = postgres({
        ...rdsIam.postgres(signer, options),
        database: db.database,
        max: 1,
        connect_timeout: 10,
        onnotice: () => {},
      });
      try {
        return (await sql`SELECT current_user AS u`)[0].u;
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  },
  mysql2: {
    port: () => db.mysqlPort,
    login: async (signer, options) => {
      const conn = await mysql.createConnection({
        ...rdsIam.mysql2(signer, options),
        database: db.database,
        connectTimeout: 10000,
      });
      try {
        return (await conn.query('SELECT CURRENT_USER() AS u'))[0][0].u.split('@')[0];
      } finally {
        await conn.end();
      }
    },
  },
  'knex (pg)': {
    port: () => db.pgPort,
    login: async (signer, options) => {
      const k = knex({
        client: 'pg',
        connection: { ...rdsIam.pg(signer, options), database: db.database },
        pool: { min: 0, max: 1 },
        acquireConnectionTimeout: 10000,
        log: { warn() {}, error() {}, debug() {}, deprecate() {} },
      });
      try {
        return (await k.raw('SELECT current_user AS u')).rows[0].u;
      } finally {
        await k.destroy();
      }
    },
  },
};

function signerFor(helper, signHost) {
  const port = HELPERS[helper].port();
  return new rdsIam.Signer({
    host: db.host,
    port,
    user: db.user,
    region: db.region,
    ...(signHost ? { signHost: `${signHost}:${port}` } : {}),
  });
}

const certError = (e) => CERT_ERROR.test(`${e?.code} ${e?.message}`);

for (const helper of Object.keys(HELPERS)) {
  test(`${helper}: the defaults refuse a server outside the default trust, before sending a token`, async () => {
    const mark = db.mark();
    await assert.rejects(HELPERS[helper].login(signerFor(helper), {}), certError);
    assert.deepStrictEqual(db.logSince(mark), []);
  });

  for (const via of ['127.0.0.1', 'signHost']) {
    test(`${helper}: { ca } logs in with full verification via ${via}`, async () => {
      const signer = signerFor(helper, via === 'signHost' ? db.rdsHost : undefined);
      const mark = db.mark();
      assert.strictEqual(await HELPERS[helper].login(signer, { ca }), db.user);
      const endpoint = `${via === 'signHost' ? db.rdsHost : db.host}:${HELPERS[helper].port()}`;
      assert.deepStrictEqual(
        db.logSince(mark).map((e) => [e.outcome, e.endpoint]),
        [['accept', endpoint]],
      );
    });
  }

  test(`${helper}: a certificate for another name is refused`, async () => {
    const mark = db.mark();
    await assert.rejects(
      HELPERS[helper].login(signerFor(helper, OTHER_HOST), { ca }),
      (e) =>
        certError(e) &&
        /altname|does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(`${e.code} ${e.message}`),
    );
    assert.deepStrictEqual(db.logSince(mark), []);
  });
}

test('verify: false encrypts only and warns once per process', async () => {
  const warnings = [];
  const onWarning = (w) => {
    if (w.code === 'TlsUnverified') warnings.push(w);
  };
  process.on('warning', onWarning);
  try {
    assert.strictEqual(await HELPERS.pg.login(signerFor('pg'), { verify: false }), db.user);
    assert.strictEqual(await HELPERS.mysql2.login(signerFor('mysql2'), { verify: false }), db.user);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.strictEqual(warnings.length, 1);
  assert.strictEqual(warnings[0].name, 'Warning');
  assert.strictEqual(warnings[0].legacyCode, 'RDS_IAM_TLS_UNVERIFIED');
});

test("the caller's ssl wins as given; rdsIam.tls() shapes", () => {
  const signer = signerFor('pg');
  assert.strictEqual(rdsIam.pg(signer, { ssl: false }).ssl, false);
  assert.strictEqual(rdsIam.postgres(signer, { ssl: 'require' }).ssl, 'require');
  assert.deepStrictEqual(rdsIam.mysql2(signerFor('mysql2'), { ssl: { ca } }).ssl, { ca });
  const t = rdsIam.tls();
  assert.strictEqual(t.rejectUnauthorized, true);
  assert.ok(t.ca.includes(rdsIam.caBundle) && t.ca.length > nodeTls.rootCertificates.length);
  const own = rdsIam.tls({ ca });
  assert.deepStrictEqual([own.ca, own.rejectUnauthorized], [ca, true]);
  assert.ok(own.secureContext instanceof Object && own.secureContext !== t.secureContext);
  assert.strictEqual(
    rdsIam.tls().secureContext,
    t.secureContext,
    'the default trust is parsed once',
  );
  const named = rdsIam.tls({ ca, servername: db.rdsHost });
  assert.strictEqual(named.servername, db.rdsHost);
  const cert = { subject: { CN: db.rdsHost }, subjectaltname: `DNS:${db.rdsHost}` };
  assert.strictEqual(named.checkServerIdentity('127.0.0.1', cert), undefined);
  assert.ok(
    named.checkServerIdentity('127.0.0.1', {
      subject: { CN: OTHER_HOST },
      subjectaltname: `DNS:${OTHER_HOST}`,
    }),
  );
  const tunnel = rdsIam.mysql2(signerFor('mysql2', db.rdsHost));
  assert.strictEqual(tunnel.host, db.rdsHost);
  assert.strictEqual(typeof tunnel.stream, 'function');
  assert.strictEqual(tunnel.ssl.verifyIdentity, true);
  assert.throws(
    () => rdsIam.tls('x'),
    (e) => e instanceof rdsIam.InvalidArgument && e.code === 'InvalidArgument',
  );
  assert.strictEqual(rdsIam.tlsCovered('db.abc.eu-west-1.rds.amazonaws.com'), true);
  assert.strictEqual(rdsIam.tlsCovered('db.abc.cn-north-1.rds.amazonaws.com.cn'), false);
  assert.strictEqual(rdsIam.tlsCovered('10.0.0.1'), null);
});

test('the shipped bundle: every certificate parses, is a self-signed CA, unexpired; each family present', () => {
  const { X509Certificate } = require('node:crypto');
  const blocks = rdsIam.caBundle.match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  );
  assert.ok(blocks.length >= 3, 'some certificates');
  const families = new Set();
  for (const b of blocks) {
    const c = new X509Certificate(b);
    assert.ok(c.ca && c.checkIssued(c) && c.verify(c.publicKey), c.subject);
    assert.ok(new Date(c.validTo) > new Date(), `${c.subject} expired ${c.validTo}`);
    const m = / Root CA (RSA2048|RSA4096|ECC384) G1$/.exec(
      c.subject.split('\n').find((l) => l.startsWith('CN=')),
    );
    if (m) families.add(m[1]);
  }
  assert.deepStrictEqual([...families].sort(), ['ECC384', 'RSA2048', 'RSA4096']);
  assert.strictEqual(
    rdsIam.caBundle,
    fs.readFileSync(path.join(REPO, 'core', 'ca', 'rds-ca-bundle.pem'), 'utf8'),
  );
});

test('scripts/update-rds-ca.mjs --check: the files are what the generator writes (warnings never fail)', () => {
  const out = execFileSync(
    process.execPath,
    [path.join(REPO, 'scripts', 'update-rds-ca.mjs'), '--check'],
    { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  assert.match(out, /^checked: \d+ RDS roots, 5 public roots/);
});

test('the bundle audit warns (never fails) for a root that expires within a year, fails once expired', async () => {
  const { audit, parseBundle } = await import(path.join(REPO, 'scripts', 'update-rds-ca.mjs'));
  const certs = parseBundle(rdsIam.caBundle);
  const first = Math.min(...certs.map((c) => new Date(c.validTo).getTime()));
  const soon = audit(certs, { now: first - 30 * 24 * 3600 * 1000 });
  assert.deepStrictEqual(soon.problems, []);
  assert.ok(
    soon.warnings.some((w) => /within a year/.test(w)),
    JSON.stringify(soon.warnings),
  );
  const later = audit(certs, { now: first + 1000 });
  assert.ok(later.problems.some((p) => /expired/.test(p)));
  assert.deepStrictEqual(
    audit(certs.filter((c) => !/ECC384/.test(c.subject))).problems.filter((p) =>
      /^no rds-ca/.test(p),
    ),
    ['no rds-ca-ecc384-g1 root in the bundle'],
  );
});
