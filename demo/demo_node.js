// `make demo`, Node part: pg and mysql2 log in to iamdb with tokens from the default credential
// chain (the environment holds the iamdb test key), through the rds-iam password hooks.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const rdsIam = require(path.join(__dirname, '..', 'node', 'main.js'));
const pg = require('pg');
const mysql = require('mysql2/promise');

const env = process.env;
const ca = fs.readFileSync(env.IAMDB_CA_FILE);
const say = (what, result) => console.log(`  ${what.padEnd(28)} ${result}`);

async function main() {
  const pgSigner = new rdsIam.Signer({
    host: env.IAMDB_HOST,
    port: Number(env.IAMDB_PG_PORT),
    user: env.IAMDB_USER,
    region: 'us-east-1',
  });
  const pool = new pg.Pool({
    host: env.IAMDB_HOST,
    port: Number(env.IAMDB_PG_PORT),
    user: env.IAMDB_USER,
    database: env.IAMDB_DATABASE,
    ssl: { ca },
    password: pgSigner.password,
  });
  const { rows } = await pool.query('select current_user');
  await pool.end();
  say('node pg:', `select current_user → ${rows[0].current_user}`);

  const mySigner = new rdsIam.Signer({
    host: env.IAMDB_HOST,
    port: Number(env.IAMDB_MYSQL_PORT),
    user: env.IAMDB_USER,
    region: 'us-east-1',
  });
  const conn = await mysql.createConnection({
    ...rdsIam.mysql2(mySigner, { ssl: { ca } }),
    database: env.IAMDB_DATABASE,
  });
  const [res] = await conn.query('select current_user() as who');
  await conn.end();
  say('node mysql2:', `select current_user() → ${res[0].who} (cleartext plugin over TLS)`);
  say('node signatures:', `${rdsIam.stats().signatures} for 2 endpoints`);

  // ElastiCache-style IAM login: node-redis through iamdb's cache front, which checks the token.
  const { createClient } = require('redis');
  const cacheSigner = new rdsIam.Signer({
    host: env.IAMDB_CACHE_NAME,
    user: env.IAMDB_CACHE_USER,
    kind: 'elasticache',
    region: 'us-east-1',
  });
  const cache = await createClient({
    socket: { host: env.IAMDB_HOST, port: Number(env.IAMDB_CACHE_PORT), tls: true, ca },
    credentialsProvider: rdsIam.redis(cacheSigner),
  }).connect();
  await cache.set('demo', 'node');
  const whoami = await cache.sendCommand(['ACL', 'WHOAMI']);
  say(
    'node node-redis (cache):',
    `ACL WHOAMI → ${whoami}, GET demo → '${await cache.get('demo')}'`,
  );
  await cache.close();
}
main().catch((e) => {
  console.error(`  node demo failed: [${e.code}] ${e.message}`);
  process.exit(1);
});
