'use strict';
// Secrets probe for the Node package (issue 8), run by `make node-test` with node_hook.js
// preloaded (which records every error, Signer and CLI output into target/secrets/): drives the
// error paths with KNOWN secrets as inputs and asserts that nothing shown holds them.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const util = require('node:util');
const { spawnSync } = require('node:child_process');

const project = process.env.RDS_IAM_TEST_PROJECT || path.join(__dirname, '../../target/node-test');
const { Signer, sign } = require(require.resolve('rds-iam', { paths: [project] }));
const SECRET = 'probe/node/secret/static-00000000000000001';
const SESSION = 'IQoJb3JpZ2luX2Vj++++////probe/node/session/token/00001==';
const HOST = 'db.abc123.us-east-1.rds.amazonaws.com';
const creds = (extra = {}) => ({
  accessKeyId: 'ASIAPROBENODE0000001',
  secretAccessKey: SECRET,
  sessionToken: SESSION,
  ...extra,
});
const shown = [];
const show = (x) => {
  shown.push(
    typeof x === 'string' ? x : util.inspect(x, { showHidden: true, depth: 5 }),
    safeJson(x),
  );
};
function safeJson(x) {
  try {
    return JSON.stringify(x) || '';
  } catch {
    return '';
  }
}
function noSecrets() {
  const all = shown.join('\n');
  for (const s of [SECRET, SESSION, encodeURIComponent(SESSION), 'X-Amz-Signature='])
    assert.ok(!all.includes(s), `${s} shown`);
}

test('errors, inspect and JSON of a Signer hold no secret', async () => {
  for (const opts of [
    { host: 'bad host\r\n', user: 'app', region: 'us-east-1' },
    { host: 'db.example.com', user: 'app' },
    { host: HOST, user: 'a\nb' },
    { host: HOST, user: '' },
    { host: HOST, user: 'app', port: 0 },
    { host: HOST, user: 'app', region: 'nowhere\n' },
    { host: HOST, user: 'app', expiresIn: 10_000_000 },
    { host: HOST, user: 'app', credentials: creds({ expiration: new Date(Date.now() - 60_000) }) },
    {
      host: HOST,
      user: 'app',
      credentials: { accessKeyId: 'ASIAPROBENODE0000001', secretAccessKey: '' },
    },
  ]) {
    const run = async (f) => {
      try {
        show(await f());
      } catch (e) {
        show(e);
        show(e.message);
        show(e.stack);
      }
    };
    await run(() =>
      new Signer({ credentials: creds(), ...opts })
        .tokenInfo()
        .then((i) => ({ ...i, token: '<token, returned by design>' })),
    );
    await run(() => {
      new Signer({ credentials: creds(), ...opts }).tokenSync();
      return 'ok';
    });
    await run(() => {
      sign({ credentials: creds(), ...opts });
      return 'ok';
    });
  }
  const s = new Signer({ host: HOST, user: 'app', credentials: creds() });
  const info = await s.tokenInfo();
  show(s);
  show(String(s));
  show(s.toJSON());
  noSecrets();
  assert.ok(!shown.join('\n').includes(info.token));
});

test('the CLI prints no secret on stderr, and only `token` prints a token', () => {
  const bin = path.join(project, 'node_modules/.bin/rds-iam');
  const env = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'ASIAPROBENODE0000001',
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_SESSION_TOKEN: SESSION,
  };
  for (const args of [
    ['token', '--host', HOST, '--user', 'app'],
    ['token', '--host', 'bad\nhost', '--user', 'app', '--region', 'us-east-1'],
    ['token', '--host', 'db.example.com', '--user', 'app'],
    ['explain', 'PAM authentication failed'],
    ['token', '--nope'],
  ]) {
    const r = spawnSync(bin, args, { env, encoding: 'utf8' });
    show(r.stderr);
    if (args[0] !== 'token' || r.status !== 0) show(r.stdout);
  }
  noSecrets();
});
