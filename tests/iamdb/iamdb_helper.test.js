'use strict';
// node:test check of iamdb.js: the helper brings iamdb up, its settings are right, its
// knobs reach the validator config, and a release with another holder keeps the servers up.
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const iamdb = require('./iamdb.js');

let db;
before(async () => {
  db = await iamdb.up();
});
after(() => iamdb.down());

const listening = (port) =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

test('settings point at two listening servers', async () => {
  assert.strictEqual(db.host, '127.0.0.1');
  assert.strictEqual(db.user, 'iam_user');
  assert.strictEqual(db.region, 'us-east-1');
  assert.ok(await listening(db.pgPort));
  assert.ok(await listening(db.mysqlPort));
  assert.ok(await listening(db.cachePort));
  assert.match(fs.readFileSync(db.caFile, 'utf8'), /BEGIN CERTIFICATE/);
});

test('addKey and setMaxAge reach the validator config', async () => {
  await db.addKey({ accessKeyId: 'ASIANODEHELPER000001', secretAccessKey: 's', sessionToken: 't' });
  await db.setMaxAge(120);
  await db.setMaxConnectionAge(30.5);
  const cfg = JSON.parse(fs.readFileSync(db.config, 'utf8'));
  await db.setMaxAge(900);
  await db.setMaxConnectionAge(43200);
  assert.strictEqual(cfg.max_age, 120);
  assert.strictEqual(cfg.cache.max_connection_age, 30.5);
  assert.deepStrictEqual(
    cfg.keys.find((k) => k.access_key_id === 'ASIANODEHELPER000001'),
    { access_key_id: 'ASIANODEHELPER000001', secret_access_key: 's', session_token: 't' },
  );
  assert.strictEqual(db.logSince(db.mark()).length, 0);
});

test('releasing one hold keeps iamdb up for the other holders', async () => {
  const other = spawn('sleep', ['30']);
  try {
    execFileSync(iamdb.ENTRY, ['up', '--hold', String(other.pid)], { stdio: 'ignore' });
    execFileSync(iamdb.ENTRY, ['down', '--release', String(other.pid)], { stdio: 'ignore' });
    assert.ok(await listening(db.pgPort));
    assert.ok(await listening(db.mysqlPort));
  } finally {
    other.kill();
  }
});
