'use strict';
// One login to iamdb's PostgreSQL through rdsIam.pg (node-postgres), the way the driver tests make
// it (node/test/tls.test.js): dial IAMDB_HOST, sign for and verify IAMDB_RDS_HOST (signHost),
// trust iamdb's CA ({ ca }), a token from environment credentials.
//   node scripts/matrix/login.js PROJECT_DIR   (a project with rds-iam and pg installed)
// Reads the IAMDB_* settings and AWS_* credentials from the environment. Prints one line; exits 1
// when the login fails or is not what was asked for. Node 18+.
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const project = path.resolve(process.argv[2] || '.');
const requireFromProject = createRequire(path.join(project, 'package.json'));
const rdsIam = requireFromProject('rds-iam');
const pg = requireFromProject('pg');
const pgVersion = requireFromProject('pg/package.json').version;
const env = process.env;

async function main() {
  const port = Number(env.IAMDB_PG_PORT);
  const signer = new rdsIam.Signer({
    host: env.IAMDB_HOST,
    port,
    user: env.IAMDB_USER,
    region: env.IAMDB_REGION,
    signHost: `${env.IAMDB_RDS_HOST}:${port}`,
  });
  const ca = fs.readFileSync(env.IAMDB_CA_FILE, 'utf8');
  const client = new pg.Client({
    ...rdsIam.pg(signer, { ca }),
    database: env.IAMDB_DATABASE,
    connectionTimeoutMillis: 10000,
  });
  await client.connect();
  let who;
  let authorized;
  try {
    who = (await client.query('SELECT current_user AS u')).rows[0].u;
    authorized = client.connection.stream.authorized === true;
  } finally {
    await client.end();
  }
  const ok = who === env.IAMDB_USER && authorized;
  console.log(
    `login.js: pg ${pgVersion}: current_user=${who}, TLS ${authorized ? 'verified' : 'NOT VERIFIED'} as ${env.IAMDB_RDS_HOST}${ok ? '' : ' - NOT WHAT WAS ASKED'}`,
  );
  return ok;
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (e) => {
    console.log(`login.js: login failed: ${e?.code ?? ''} ${e?.message ?? e}`);
    process.exitCode = 1;
  },
);
