'use strict';
// Bad input → an Error with the core's stable .code; no input makes the addon crash.
const { test } = require('node:test');
const assert = require('node:assert');
const { inspect } = require('node:util');
const { rdsIam, native } = require('./helpers.js');

const { Signer, sign } = rdsIam;
const CODES = [
  'NoCredentials',
  'CredentialsExpired',
  'NoRegion',
  'InvalidEndpoint',
  'InvalidArgument',
  'ProviderError',
  'Timeout',
];
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const base = { host: 'db.abc.us-east-1.rds.amazonaws.com', user: 'app', credentials: creds };

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, `not an Error: ${e}`);
    assert.ok(typeof e.message === 'string' && e.message.length > 10);
    return e.code;
  }
  return 'no error';
}

test('new Signer(bad options) throws the right code', () => {
  const cases = [
    [undefined, 'InvalidArgument'],
    [null, 'InvalidArgument'],
    ['db.example.com', 'InvalidArgument'],
    [[base], 'InvalidArgument'],
    [{}, 'InvalidArgument'],
    [{ ...base, host: 42 }, 'InvalidArgument'],
    [{ ...base, host: '' }, 'InvalidEndpoint'],
    [{ ...base, host: 'bad host/name' }, 'InvalidEndpoint'],
    [{ ...base, port: 0 }, 'InvalidEndpoint'],
    [{ ...base, port: 65536 }, 'InvalidEndpoint'],
    [{ ...base, port: -1 }, 'InvalidEndpoint'],
    [{ ...base, port: 5432.5 }, 'InvalidEndpoint'],
    [{ ...base, port: 'five' }, 'InvalidEndpoint'],
    [{ ...base, port: true }, 'InvalidArgument'],
    [{ ...base, host: 'db.abc.us-east-1.rds.amazonaws.com:3306', port: 5432 }, 'InvalidEndpoint'],
    [{ ...base, user: undefined }, 'InvalidArgument'],
    [{ ...base, user: 'a\nb' }, 'InvalidArgument'],
    [{ ...base, user: 7 }, 'InvalidArgument'],
    [{ ...base, host: 'db.example.com' }, 'NoRegion'],
    [{ ...base, region: 'mars' }, 'InvalidArgument'],
    [{ ...base, kind: 'mysql' }, 'InvalidArgument'],
    [{ ...base, expiresIn: 60 }, 'InvalidArgument'],
    [
      { ...base, kind: 'dsql_connect', host: 'x.dsql.us-east-1.on.aws', expiresIn: 604801 },
      'InvalidArgument',
    ],
    [
      { ...base, kind: 'dsql_connect', host: 'x.dsql.us-east-1.on.aws', expiresIn: 1.5 },
      'InvalidArgument',
    ],
    [{ ...base, reuseFor: -1 }, 'InvalidArgument'],
    [{ ...base, reuseFor: NaN }, 'InvalidArgument'],
    [{ ...base, reuseFor: Infinity }, 'InvalidArgument'],
    [{ ...base, reuseFor: '60' }, 'InvalidArgument'],
    [{ ...base, reuseFor: 1e300 }, 'InvalidArgument'],
    [{ ...base, fetchTimeout: 0 }, 'InvalidArgument'],
    [{ ...base, imdsTimeout: -0.5 }, 'InvalidArgument'],
    [{ ...base, credentials: 'AKID:secret' }, 'InvalidArgument'],
    [{ ...base, credentials: { accessKeyId: 'A' } }, 'InvalidArgument'],
    [{ ...base, credentials: { ...creds, accessKeyId: '' } }, 'InvalidArgument'],
    [{ ...base, credentials: { ...creds, expiration: '2030-01-01' } }, 'InvalidArgument'],
    [{ ...base, credentials: { ...creds, expiration: new Date(NaN) } }, 'InvalidArgument'],
    [{ ...base, credentials: { ...creds, sessionToken: 5 } }, 'InvalidArgument'],
    [{ ...base, credentials: { ...creds, secret: 'typo' } }, 'InvalidArgument'],
    [{ ...base, profile: 'dev' }, 'InvalidArgument'],
    [{ ...base, roleArn: 'not-an-arn' }, 'InvalidArgument'],
    [
      { ...base, roleArn: 'arn:aws:iam::123456789012:role/r', roleSessionName: 'x' },
      'InvalidArgument',
    ],
    [{ ...base, roleSessionName: 'session' }, 'InvalidArgument'],
    [{ ...base, password: 'nope' }, 'InvalidArgument'],
    [{ ...base, Host: 'typo' }, 'InvalidArgument'],
  ];
  for (const [options, code] of cases) {
    assert.strictEqual(
      codeOf(() => new Signer(options)),
      code,
      JSON.stringify(options),
    );
  }
});

test("the codes are the core's, and messages say what to do", () => {
  try {
    new Signer({ host: 'db.example.com', user: 'app' });
    assert.fail('no error');
  } catch (e) {
    assert.strictEqual(e.code, 'NoRegion');
    assert.match(e.message, /db\.example\.com.*region/s);
  }
  for (const code of CODES) assert.match(code, /^[A-Z][A-Za-z]+$/);
});

test('sign(bad options) throws the right code', () => {
  const ok = {
    host: 'db',
    port: 5432,
    user: 'u',
    region: 'us-east-1',
    credentials: creds,
    at: new Date(0),
  };
  assert.strictEqual(typeof sign(ok), 'string');
  const cases = [
    [undefined, 'InvalidArgument'],
    [{ ...ok, credentials: undefined }, 'InvalidArgument'],
    [{ ...ok, at: 0 }, 'InvalidArgument'],
    [{ ...ok, at: new Date('garbage') }, 'InvalidArgument'],
    [{ ...ok, region: undefined }, 'NoRegion'],
    [{ ...ok, host: 'a b' }, 'InvalidEndpoint'],
    [{ ...ok, kind: 'dsql' }, 'InvalidArgument'],
    [{ ...ok, reuseFor: 1 }, 'InvalidArgument'],
    [{ ...ok, credentials: { ...creds, expiration: new Date(0) } }, 'CredentialsExpired'],
  ];
  for (const [options, code] of cases) {
    assert.strictEqual(
      codeOf(() => sign(options)),
      code,
      JSON.stringify(options),
    );
  }
});

test('token() rejects with a coded Error; tokenSync() throws the same', async () => {
  const expired = { ...creds, sessionToken: 'T', expiration: new Date(Date.now() - 1000) };
  const s = new Signer({ ...base, credentials: expired });
  await assert.rejects(s.token(), (e) => e instanceof Error && e.code === 'CredentialsExpired');
  await assert.rejects(s.tokenInfo(), (e) => e.code === 'CredentialsExpired');
  await assert.rejects(s.password(), (e) => e.code === 'CredentialsExpired');
  assert.strictEqual(
    codeOf(() => s.tokenSync()),
    'CredentialsExpired',
  );
});

test('a missing profile is a coded error, not a crash', async () => {
  const s = new Signer({
    host: 'db.abc.us-east-1.rds.amazonaws.com',
    user: 'u',
    profile: 'no-such-profile-rds-iam',
  });
  await assert.rejects(s.token(), (e) => e instanceof Error && CODES.includes(e.code));
});

test('no input crashes the addon: odd values everywhere give coded Errors', () => {
  const odd = [
    undefined,
    null,
    true,
    0,
    -1,
    1.5,
    NaN,
    2 ** 53,
    -(2 ** 64),
    '',
    ' ',
    'x'.repeat(100000),
    '\u0000',
    '\ud800',
    '💥',
    [],
    [1],
    {},
    () => 1,
    Symbol('s'),
    10n,
    new Date(NaN),
    new Date(8.64e15),
    Object.create(null),
    new Proxy({}, {}),
    Buffer.from('x'),
  ];
  const keys = native.optionKeys().signer;
  let n = 0;
  for (const key of keys) {
    for (const v of odd) {
      for (const fn of [
        () => new Signer({ ...base, [key]: v }),
        () => sign({ ...base, region: 'us-east-1', [key]: v }),
      ]) {
        const code = codeOf(fn);
        assert.ok(
          code === 'no error' || CODES.includes(code),
          `${key}=${inspect(v).slice(0, 30)} → ${code}`,
        );
        n += 1;
      }
    }
    for (const v of odd) {
      const code = codeOf(
        () =>
          new Signer({
            ...base,
            credentials: { ...creds, [key === 'host' ? 'accessKeyId' : 'secretAccessKey']: v },
          }),
      );
      assert.ok(code === 'no error' || CODES.includes(code));
    }
  }
  for (const v of odd) {
    assert.ok(CODES.includes(codeOf(() => new Signer(v))) || v instanceof Object);
  }
  assert.ok(n > 500);
});

test('a throwing getter in the options propagates its own error', () => {
  const boom = new Error('boom');
  const options = { ...base };
  Object.defineProperty(options, 'region', {
    enumerable: true,
    get() {
      throw boom;
    },
  });
  assert.throws(
    () => new Signer(options),
    (e) => e === boom,
  );
});

/** The core's codes as core/src/error.rs spells them (`ErrorCode::X => "X"`), in its order. */
function coreCodes() {
  const src = require('node:fs').readFileSync(
    require('node:path').join(__dirname, '../../core/src/error.rs'),
    'utf8',
  );
  const all = /pub const ALL: \[ErrorCode; \d+\] = \[([^\]]*)\]/.exec(src);
  assert.ok(all, 'ErrorCode::ALL found in core/src/error.rs');
  const spelled = new Map(
    [...src.matchAll(/ErrorCode::(\w+) => "(\w+)"/g)].map((m) => [m[1], m[2]]),
  );
  return [...all[1].matchAll(/ErrorCode::(\w+)/g)].map((m) => spelled.get(m[1]));
}

test("ERROR_CODES is the core's list, and every code has its class", () => {
  assert.deepStrictEqual([...rdsIam.ERROR_CODES], coreCodes());
  assert.deepStrictEqual([...rdsIam.ERROR_CODES], CODES);
  assert.ok(Object.isFrozen(rdsIam.ERROR_CODES));
  for (const code of [...rdsIam.ERROR_CODES, 'NoNativeBuild']) {
    const cls = rdsIam[code];
    assert.strictEqual(typeof cls, 'function', `class ${code} exported`);
    assert.strictEqual(cls.name, code);
    assert.strictEqual(cls.code, code);
    const e = new cls('m');
    assert.ok(e instanceof rdsIam.RdsIamError && e instanceof Error);
    assert.strictEqual(e.code, code);
    assert.strictEqual(e.name, code);
  }
});

test('native errors are instances of their class, with .code and .provider', async () => {
  try {
    new Signer({ ...base, host: 'db.example.com' });
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof rdsIam.NoRegion && e instanceof rdsIam.RdsIamError);
    assert.strictEqual(e.name, 'NoRegion');
    assert.strictEqual(e.provider, undefined);
    assert.match(e.stack, /^NoRegion: no AWS region/);
  }
  assert.throws(() => sign({ ...base, host: 'a b', region: 'us-east-1' }), rdsIam.InvalidEndpoint);
  const expired = { ...creds, sessionToken: 'T', expiration: new Date(Date.now() - 1000) };
  const s = new Signer({ ...base, credentials: expired });
  const thrown = (f) => {
    try {
      f();
    } catch (x) {
      return x;
    }
    return undefined;
  };
  for (const e of [
    await s.token().catch((x) => x),
    await s.tokenInfo().catch((x) => x),
    thrown(() => s.tokenSync()),
    thrown(() => s.tokenInfoSync()),
  ]) {
    assert.ok(e instanceof rdsIam.CredentialsExpired, String(e));
    assert.strictEqual(typeof e.provider, 'string');
    assert.ok(e.provider.length > 0);
  }
});

test('the JavaScript helpers throw the same classes (tls(), redis(), pg(), sequelize())', () => {
  for (const f of [
    () => rdsIam.tls(42),
    () => rdsIam.tls(null),
    () => rdsIam.redis({}),
    () => rdsIam.redis(new Signer(base), { refreshEvery: 0 }),
    () => rdsIam.ioredis(new Signer(base), { refreshEvery: 'soon' }),
    () => rdsIam.pg({}),
    () => rdsIam.mysql2(null),
    () => rdsIam.sequelize(new Signer(base), { dialect: 'sqlite' }),
  ]) {
    assert.throws(f, (e) => {
      assert.ok(e instanceof rdsIam.InvalidArgument, `${e?.name}: ${e?.message}`);
      assert.ok(!(e instanceof TypeError));
      assert.strictEqual(e.code, 'InvalidArgument');
      return true;
    });
  }
});
