'use strict';
// The core CLI's doctor and explain commands through the npm bin, against the local fake STS:
// the same code and exit statuses as the Rust binary.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { start } = require('../../tests/fakeaws/fakeaws.js');
const { PROJECT } = require('./helpers.js');

const bin = path.join(PROJECT, 'node_modules', '.bin', 'rds-iam');
const cleanEnv = (extra) => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')),
  );
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/c',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/k',
    ...extra,
  };
};

test('doctor: source, identity and a flagged env-over-profile through npx rds-iam', async () => {
  const fake = await start();
  try {
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: 'AKIAENVIRONMENT00001',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_PROFILE: 'prod',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_STS: fake.url,
    });
    const r = spawnSync(
      bin,
      ['doctor', '--host', 'db.abc.us-east-1.rds.amazonaws.com', '--user', 'app', '--json'],
      { env, encoding: 'utf8' },
    );
    assert.strictEqual(r.status, 0, r.stderr);
    const checks = JSON.parse(r.stdout).checks;
    const find = (name, status) => checks.find((c) => c.check === name && c.status === status);
    assert.match(find('credentials', 'ok').detail, /AKIAENVIRONMENT00001/);
    assert.match(find('identity', 'ok').detail, /123456789012/);
    assert.match(find('credential chain', 'warn').detail, /AWS_PROFILE=prod is ignored/);
  } finally {
    await fake.stop();
  }
});

test('explain: known error exits 0 with a fix, unknown text exits 1', () => {
  const ok = spawnSync(bin, ['explain', 'ERROR 1045 (28000): Access denied for user'], {
    env: cleanEnv({}),
    encoding: 'utf8',
  });
  assert.strictEqual(ok.status, 0);
  assert.match(ok.stdout, /fix:/);
  assert.strictEqual(
    spawnSync(bin, ['explain', 'all good'], { env: cleanEnv({}), encoding: 'utf8' }).status,
    1,
  );
});
