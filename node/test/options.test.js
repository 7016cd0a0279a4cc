'use strict';
// The options model: every option is named in JavaScript's spelling (the core's table in
// camelCase), every key list agrees with that table, and a DSQL signer's login user reaches
// the drivers.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const pg = require('pg');
const postgres = require('postgres');
const { rdsIam, native } = require('./helpers.js');

const { Signer, sign } = rdsIam;
const keys = native.optionKeys();
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const base = { host: 'db.abc.us-east-1.rds.amazonaws.com', user: 'app', credentials: creds };
const DSQL = 'abc123.dsql.us-east-1.on.aws';

function messageOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.message;
  }
  return 'no error';
}

/** The fields of `interface name` in the generated index.d.ts. */
function declaredFields(name) {
  const dts = fs.readFileSync(
    path.join(path.dirname(require.resolve('./helpers.js')), '..', 'index.d.ts'),
    'utf8',
  );
  const body = dts.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))[1];
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
}

test('the declared option types list exactly the keys of the core table', () => {
  assert.deepStrictEqual(declaredFields('SignerOptions'), keys.signer);
  assert.deepStrictEqual(declaredFields('SignOptions'), keys.sign);
  assert.deepStrictEqual(declaredFields('CredentialsInput'), keys.credentials);
  for (const k of [...keys.signer, ...keys.sign, ...keys.credentials]) {
    assert.match(k, /^[a-z]+([A-Z][a-z]+)*$/, `${k} is not camelCase`);
  }
});

test('sign() passes every key to its own slot: a bad value is reported under its own name', () => {
  const ok = {
    host: 'db',
    port: 5432,
    user: 'u',
    region: 'us-east-1',
    credentials: creds,
    at: new Date(0),
  };
  assert.strictEqual(typeof sign(ok), 'string');
  for (const key of keys.sign) {
    const msg = messageOf(() => sign({ ...ok, [key]: Symbol('bad') }));
    assert.match(msg, new RegExp(`^invalid argument \`${key}\``), `${key}: ${msg}`);
  }
  for (const key of keys.credentials) {
    const msg = messageOf(() => sign({ ...ok, credentials: { ...creds, [key]: Symbol('bad') } }));
    assert.match(msg, new RegExp(`^invalid argument \`${key}\``), `credentials.${key}: ${msg}`);
  }
});

test('new Signer() reads every key of the table under its own name', () => {
  for (const key of keys.signer) {
    const msg = messageOf(() => new Signer({ ...base, [key]: Symbol('bad') }));
    assert.match(msg, new RegExp(`^invalid argument \`${key}\``), `${key}: ${msg}`);
  }
});

test('errors name options as JavaScript spells them', () => {
  const cases = [
    [{ ...base, roleArn: 'not-an-arn' }, /^invalid argument `roleArn`: /],
    [
      { ...base, roleArn: 'arn:aws:iam::123456789012:role/r', roleSessionName: 'x' },
      /^invalid argument `roleSessionName`/,
    ],
    [
      { ...base, externalId: 'x' },
      /^invalid argument `roleArn`: `roleSessionName` and `externalId` apply to an assumed role; pass `roleArn` too$/,
    ],
    [{ ...base, reuseFor: -1 }, /^invalid argument `reuseFor`/],
    [{ ...base, refreshMargin: 1e9 }, /^invalid argument `refreshMargin`: use at most one year/],
    [
      { ...base, fetchTimeout: 0 },
      /^invalid argument `fetchTimeout`: a timeout must be longer than zero$/,
    ],
    [{ ...base, kind: 'dsql_connect', host: DSQL, expiresIn: 0 }, /^invalid argument `expiresIn`/],
    [
      { ...base, host: 'db.example.com' },
      /pass `region` explicitly.*also pass `signHost` with the real RDS endpoint/,
    ],
    [
      { ...base, profile: 'dev' },
      /^invalid argument `credentials`: pass either `profile` or `credentials`/,
    ],
  ];
  for (const [options, want] of cases) {
    const msg = messageOf(() => new Signer(options));
    assert.match(msg, want);
    assert.doesNotMatch(
      msg,
      /role_arn|role_session_name|external_id|reuse_for|refresh_margin|fetch_timeout|expires_in|sign_host|session_name/,
      msg,
    );
  }
  assert.match(
    messageOf(() => sign({ ...base, region: 'us-east-1', credentials: undefined })),
    /^invalid argument `credentials`/,
  );
});

test('a DSQL signer keeps the login user, and the pg / postgres.js helpers hand it over', async () => {
  const custom = new Signer({ host: DSQL, kind: 'dsql_connect', user: 'app', credentials: creds });
  assert.strictEqual(custom.user, 'app');
  assert.match(custom.tokenSync(), /Action=DbConnect&/);
  assert.strictEqual(custom.toJSON().user, 'app');
  assert.strictEqual(
    new Signer({ host: DSQL, kind: 'dsql_admin', credentials: creds }).user,
    'admin',
  );
  const anonymous = new Signer({ host: DSQL, kind: 'dsql_connect', credentials: creds });
  assert.strictEqual(anonymous.user, undefined);
  assert.ok(!('user' in anonymous.toJSON()));

  // What each driver is handed (iamdb cannot check DSQL tokens, so nothing logs in).
  assert.strictEqual(rdsIam.pg(custom).user, 'app');
  assert.strictEqual(rdsIam.postgres(custom).user, 'app');
  assert.strictEqual(rdsIam.mysql2(custom).user, 'app');
  const pool = new pg.Pool({ ...rdsIam.pg(custom), database: 'postgres' });
  assert.strictEqual(pool.options.user, 'app');
  await pool.end();
  const sql = postgres({ ...rdsIam.postgres(custom), database: 'postgres' });
  assert.strictEqual(sql.options.user, 'app');
  await sql.end();
});
