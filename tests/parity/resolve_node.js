// rds-iam's Node binding over every parity scenario, in one process (see harness.py).
// Reads {fake_url, host, user, jobs: [{name, env, fake, profile}]} on stdin and prints one JSON
// line per job: {key} or {code, message}, plus the AWS calls fakeaws saw (the token is never
// printed). The package comes from RDS_IAM_TEST_PROJECT (the packed package, like node/test),
// else from this checkout (a local `napi build`).
'use strict';
const path = require('node:path');
const project = process.env.RDS_IAM_TEST_PROJECT;
const rdsIam = require(
  project ? path.join(project, 'node_modules', 'rds-iam') : path.join(__dirname, '..', '..'),
);

const CLEARED = /^(AWS_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$)/i;

async function control(url, method, pathname, body) {
  const res = await fetch(url + pathname, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

// The same summary as harness.summarize_calls (default session names differ between SDKs).
function summarize(calls) {
  const out = [];
  for (const c of calls) {
    if (c.service === 'sts') {
      const name = c.role_session_name === 'parity-session' ? 'parity-session' : '<default>';
      out.push(['sts', c.action, c.role_arn, name, c.external_id, c.duration_seconds || '3600']);
    } else if (c.service === 'sso') {
      out.push(['sso', c.role_name, c.account_id]);
    }
  }
  return out;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const req = JSON.parse(input);
  for (const job of req.jobs) {
    await control(req.fake_url, 'POST', '/_fake/reset', {});
    if (Object.keys(job.fake).length)
      await control(req.fake_url, 'POST', '/_fake/config', job.fake);
    for (const k of Object.keys(process.env)) if (CLEARED.test(k)) delete process.env[k];
    Object.assign(process.env, job.env);
    rdsIam.clearCaches();
    let out;
    try {
      const options = { host: req.host, user: req.user };
      if (job.profile) options.profile = job.profile;
      const token = await new rdsIam.Signer(options).token();
      const m = /X-Amz-Credential=([A-Z0-9]+)%2F/.exec(token);
      out = { key: m ? m[1] : '?' };
    } catch (e) {
      out = { code: e.code, message: e.message };
    }
    out.calls = summarize(await control(req.fake_url, 'GET', '/_fake/calls'));
    console.log(JSON.stringify(out));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
