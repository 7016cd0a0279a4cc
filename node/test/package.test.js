'use strict';
// The packed package: what it contains, how it loads (CommonJS, ESM, bin), its version.
const { test } = require('node:test');
const assert = require('node:assert');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { REPO, PROJECT, PKG_ENTRY, rdsIam, isolatedEnv } = require('./helpers.js');

const installed = path.join(PROJECT, 'node_modules', 'rds-iam');
const creds = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

test('the tests load the installed tarball, not the source tree', () => {
  assert.ok(PKG_ENTRY.startsWith(installed + path.sep), PKG_ENTRY);
  assert.strictEqual(fs.realpathSync(installed), installed, 'a copy, not a link to the repo');
});

test('the tarball holds the entry points, the loader and the types; the addon is in the platform package', () => {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(installed, p));
    }
  };
  walk(installed);
  for (const f of [
    'package.json',
    'node/main.js',
    'node/main.mjs',
    'node/main.d.ts',
    'node/main.d.mts',
    'node/index.js',
    'node/binding.js',
    'node/index.d.ts',
    'node/cli.js',
    'node/js/drivers.js',
    'node/js/tls.js',
    'node/js/errors.js',
    'node/js/shown.js',
    'node/js/deprecate.js',
  ]) {
    assert.ok(files.includes(f), `missing ${f}`);
  }
  for (const f of files) {
    assert.doesNotMatch(
      f,
      /\.rs$|Cargo|\/test\/|^node\/npm\/|\.node$/,
      `should not be packed: ${f}`,
    );
  }
  const platform = path.join(PROJECT, 'node_modules', 'rds-iam-linux-x64-gnu');
  assert.deepStrictEqual(fs.readdirSync(platform).sort(), [
    'LICENSE',
    'README.md',
    'package.json',
    'rds-iam.linux-x64-gnu.node',
  ]);
  // npm's page is the Node guide, not the repository's front page; every package has a LICENSE.
  const readme = fs.readFileSync(path.join(installed, 'README.md'), 'utf8');
  assert.strictEqual(readme, fs.readFileSync(path.join(REPO, 'node', 'README.md'), 'utf8'));
  for (const dir of [installed, platform]) {
    assert.match(
      fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8'),
      /Apache License\s+Version 2\.0/,
    );
  }
});

test('package.json version = Cargo workspace version = the native VERSION', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  const cargo = fs.readFileSync(path.join(REPO, 'Cargo.toml'), 'utf8');
  const m = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(cargo);
  assert.ok(m, 'workspace.package.version in Cargo.toml');
  assert.strictEqual(pkg.version, m[1]);
  assert.strictEqual(rdsIam.VERSION, m[1]);
  const repoPkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assert.strictEqual(repoPkg.version, m[1]);
});

test('CommonJS and ESM imports give the same objects', () => {
  fs.writeFileSync(
    path.join(PROJECT, 'esm-check.mjs'),
    `
    import * as ns from 'rds-iam';
    import rdsIam, { Signer, sign, mysql2 } from 'rds-iam';
    import { createRequire } from 'node:module';
    const cjs = createRequire(import.meta.url)('rds-iam');
    const same = Signer === cjs.Signer && sign === cjs.sign && mysql2 === cjs.mysql2 && rdsIam === cjs;
    const s = new Signer({ host: 'db.abc.us-east-1.rds.amazonaws.com', user: 'u', credentials: ${JSON.stringify(creds)} });
    console.log(JSON.stringify({ same, keys: Object.keys(ns).sort(), token: s.tokenSync().split('?')[0] }));
  `,
  );
  const out = JSON.parse(
    execFileSync(process.execPath, ['esm-check.mjs'], { cwd: PROJECT, encoding: 'utf8' }),
  );
  assert.deepStrictEqual(out, {
    same: true,
    keys: [
      'CredentialsExpired',
      'ERROR_CODES',
      'InvalidArgument',
      'InvalidEndpoint',
      'NoCredentials',
      'NoNativeBuild',
      'NoRegion',
      'ProviderError',
      'RdsIamError',
      'Signer',
      'Timeout',
      'VERSION',
      'caBundle',
      'clearCaches',
      'default',
      'ioredis',
      'iovalkey',
      'mysql2',
      'pg',
      'postgres',
      'proxy',
      'redis',
      'sequelize',
      'sign',
      'stats',
      'tls',
      'tlsCovered',
    ],
    token: 'db.abc.us-east-1.rds.amazonaws.com:5432/',
  });
  const cjsKeys = execFileSync(
    process.execPath,
    ['-p', "Object.keys(require('rds-iam')).sort().join()"],
    { cwd: PROJECT, encoding: 'utf8' },
  ).trim();
  assert.strictEqual(
    cjsKeys,
    'CredentialsExpired,ERROR_CODES,InvalidArgument,InvalidEndpoint,NoCredentials,NoNativeBuild,NoRegion,ProviderError,RdsIamError,Signer,Timeout,VERSION,caBundle,clearCaches,ioredis,iovalkey,mysql2,pg,postgres,proxy,redis,sequelize,sign,stats,tls,tlsCovered',
  );
});

test('util.inspect, JSON.stringify and errors never show a secret', async () => {
  const secret = 'SECRET/abcdefghijklmnopqrstuvwxyz0123456';
  const sessionToken = 'SESSION+TOKEN/abcdefghijklmnopqrstuvwxyz==';
  const s = new rdsIam.Signer({
    host: 'db.abc.us-east-1.rds.amazonaws.com',
    user: 'app',
    credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: secret, sessionToken },
  });
  const token = await s.token();
  const info = await s.tokenInfo();
  const shown = [
    util.inspect(s, { showHidden: true, depth: 5 }),
    JSON.stringify(s),
    String(s),
    util.inspect(info, { depth: 5 }).replace(token, ''),
  ];
  for (const text of shown) {
    assert.ok(!text.includes(secret) && !text.includes(sessionToken.slice(0, 20)), text);
  }
  assert.deepStrictEqual(JSON.parse(JSON.stringify(s)), {
    host: 'db.abc.us-east-1.rds.amazonaws.com',
    port: 5432,
    user: 'app',
    region: 'us-east-1',
    signHost: 'db.abc.us-east-1.rds.amazonaws.com',
    kind: 'rds',
  });
  // an error from a bad option does not echo the credentials either
  const err = (() => {
    try {
      new rdsIam.Signer({
        host: 'db',
        user: 'u',
        credentials: { accessKeyId: 'A', secretAccessKey: secret },
      });
    } catch (e) {
      return e;
    }
  })();
  assert.strictEqual(err.code, 'NoRegion');
  assert.ok(!util.inspect(err).includes(secret));
});

test('password is one bound function that returns the cached token and ignores arguments', async () => {
  const s = new rdsIam.Signer({
    host: 'db.abc.us-east-1.rds.amazonaws.com',
    user: 'u',
    credentials: creds,
  });
  const { password } = s;
  assert.strictEqual(typeof password, 'function');
  assert.strictEqual(s.password, password);
  const p = password.call(undefined, { host: 'x', port: 1, user: 'y' });
  assert.ok(p instanceof Promise);
  assert.strictEqual(await p, await s.token());
  assert.strictEqual(s.tokenSync(), await s.token());
  assert.ok(!Object.keys(s).includes('password'));
});

test('bin: rds-iam token prints a token; --version; usage and library errors exit 2 and 1', () => {
  const bin = path.join(PROJECT, 'node_modules', '.bin', 'rds-iam');
  const env = isolatedEnv({
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
  });
  const ok = spawnSync(
    bin,
    ['token', '--host', 'db.abc.us-east-1.rds.amazonaws.com', '--user', 'app'],
    { env, encoding: 'utf8' },
  );
  assert.strictEqual(ok.status, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /^db\.abc\.us-east-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app&.*X-Amz-Signature=[0-9a-f]{64}\n$/,
  );
  const version = spawnSync(bin, ['--version'], { env, encoding: 'utf8' });
  assert.deepStrictEqual([version.status, version.stdout.trim()], [0, `rds-iam ${rdsIam.VERSION}`]);
  const usage = spawnSync(bin, ['token', '--nope'], { env, encoding: 'utf8' });
  assert.strictEqual(usage.status, 2);
  const noRegion = spawnSync(bin, ['token', '--host', 'db.example.com', '--user', 'app'], {
    env,
    encoding: 'utf8',
  });
  assert.strictEqual(noRegion.status, 1);
  assert.match(noRegion.stderr, /^error\[NoRegion\]: /);
});

test('signHost: connect to a tunnel, sign for the real endpoint', () => {
  const s = new rdsIam.Signer({
    host: '127.0.0.1',
    port: 15432,
    user: 'app',
    credentials: creds,
    signHost: 'mydb.abc123.eu-west-1.rds.amazonaws.com:5432',
  });
  assert.deepStrictEqual(
    [s.host, s.port, s.signHost, s.signPort, s.region, s.user, s.kind],
    [
      '127.0.0.1',
      15432,
      'mydb.abc123.eu-west-1.rds.amazonaws.com:5432',
      5432,
      'eu-west-1',
      'app',
      'rds',
    ],
  );
  // The getter's value given back as signHost signs the same endpoint.
  const again = new rdsIam.Signer({
    host: '127.0.0.1',
    port: 15432,
    user: 'app',
    credentials: creds,
    signHost: s.signHost,
  });
  assert.strictEqual(again.signHost, s.signHost);
  assert.strictEqual(again.signPort, 5432);
  assert.match(
    s.tokenSync(),
    /^mydb\.abc123\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=app&/,
  );
  // mysql2 checks the certificate against `host` only: host is the signed name, `stream` dials the tunnel
  const settings = rdsIam.mysql2(s);
  assert.deepStrictEqual(
    [settings.host, settings.port],
    ['mydb.abc123.eu-west-1.rds.amazonaws.com', 15432],
  );
  assert.strictEqual(typeof settings.stream, 'function');
  assert.deepStrictEqual(
    [rdsIam.pg(s).host, rdsIam.pg(s).ssl.servername],
    ['127.0.0.1', 'mydb.abc123.eu-west-1.rds.amazonaws.com'],
  );
});

test('DSQL tokens: no user, the DbConnectAdmin action, a chosen lifetime', async () => {
  const s = new rdsIam.Signer({
    host: 'abcdefghijklmnopqrst.dsql.us-east-1.on.aws',
    kind: 'dsql_admin',
    expiresIn: 3600,
    credentials: creds,
  });
  const info = await s.tokenInfo();
  assert.match(
    info.token,
    /^abcdefghijklmnopqrst\.dsql\.us-east-1\.on\.aws\/\?Action=DbConnectAdmin&X-Amz-Algorithm=/,
  );
  assert.match(info.token, /X-Amz-Expires=3600&/);
  assert.strictEqual(info.expiresAt - info.signedAt, 3_600_000);
});
