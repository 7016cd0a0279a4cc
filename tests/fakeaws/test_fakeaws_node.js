'use strict';
// node --test tests/fakeaws/test_fakeaws_node.js — the Node helper against the real server.
const test = require('node:test');
const assert = require('node:assert');
const { start } = require('./fakeaws.js');

test('node helper: start, IMDSv2 credentials, counts, configure, reset, stop', async () => {
  const fake = await start();
  try {
    const tokenRes = await fetch(`${fake.url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
    });
    assert.strictEqual(tokenRes.headers.get('x-aws-ec2-metadata-token-ttl-seconds'), '21600');
    const token = await tokenRes.text();
    const h = { 'x-aws-ec2-metadata-token': token };
    const role = await (
      await fetch(`${fake.url}/latest/meta-data/iam/security-credentials/`, { headers: h })
    ).text();
    const creds = await (
      await fetch(`${fake.url}/latest/meta-data/iam/security-credentials/${role}`, { headers: h })
    ).json();
    assert.strictEqual(creds.AccessKeyId, 'ASIAIMDS000000000001');
    assert.deepStrictEqual(
      [(await fake.counts()).imds_token, (await fake.calls('imds', 'credentials')).length],
      [1, 1],
    );

    await fake.configure({ ecs: { status: 503, fail_times: 1 } });
    const first = await fetch(`${fake.url}/ecs/creds`);
    const second = await fetch(`${fake.url}/ecs/creds`);
    assert.deepStrictEqual([first.status, second.status], [503, 200]);
    assert.strictEqual((await second.json()).AccessKeyId, 'ASIAECS0000000000001');

    await fake.reset();
    assert.deepStrictEqual(await fake.counts(), {});
    assert.strictEqual(
      fake.env({ ecs: true }).AWS_CONTAINER_CREDENTIALS_FULL_URI,
      `${fake.url}/ecs/creds`,
    );
  } finally {
    await fake.stop();
  }
  await assert.rejects(fetch(`${fake.url}/_fake/counts`));
});
