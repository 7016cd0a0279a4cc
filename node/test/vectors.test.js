'use strict';
// Every shared vector (tests/vectors/*.json, botocore's exact output) through sign(): byte for byte.
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, rdsIam } = require('./helpers.js');

for (const file of ['rds.json', 'dsql.json']) {
  const { cases } = JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', file), 'utf8'));
  test(`${file}: ${cases.length} vectors, byte for byte`, async (t) => {
    assert.ok(cases.length > 0);
    for (const c of cases) {
      await t.test(c.name, () => {
        const options = {
          host: c.host,
          region: c.region,
          kind: c.kind,
          credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key },
          at: new Date(c.time),
          expiresIn: c.expires_in,
        };
        if (c.port !== null) options.port = c.port;
        if (c.user !== null) options.user = c.user;
        if (c.session_token !== null) options.credentials.sessionToken = c.session_token;
        assert.strictEqual(rdsIam.sign(options), c.token);
      });
    }
  });
}
