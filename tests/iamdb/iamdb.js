'use strict';
// node:test helper for iamdb (local PostgreSQL + MariaDB that check IAM tokens).
//   const iamdb = require('../../tests/iamdb/iamdb.js');
//   let db; before(async () => { db = await iamdb.up(); }); after(() => iamdb.down());
// up() holds iamdb for this process; down() releases the hold and stops the servers
// only when no other process (or a manual `iamdb up`) still holds them.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ENTRY = path.join(__dirname, 'iamdb');

function run(args) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      ENTRY,
      args,
      { timeout: 900_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`iamdb ${args[0]} failed: ${(stderr || err.message).trim()}`));
        else resolve(stdout);
      },
    );
    child.stdin.end();
  });
}

function settings(env) {
  const logFile = env.IAMDB_LOG;
  return {
    env,
    host: env.IAMDB_HOST,
    pgPort: Number(env.IAMDB_PG_PORT),
    mysqlPort: Number(env.IAMDB_MYSQL_PORT),
    caFile: env.IAMDB_CA_FILE,
    rdsHost: env.IAMDB_RDS_HOST,
    dsqlClusterId: env.IAMDB_DSQL_CLUSTER_ID,
    dsqlHost: env.IAMDB_DSQL_HOST,
    dsqlAdminUser: env.IAMDB_DSQL_ADMIN_USER,
    user: env.IAMDB_USER,
    database: env.IAMDB_DATABASE,
    region: env.IAMDB_REGION,
    accessKeyId: env.IAMDB_ACCESS_KEY_ID,
    secretAccessKey: env.IAMDB_SECRET_ACCESS_KEY,
    log: logFile,
    config: env.IAMDB_CONFIG,
    pgSuperuserDsn: env.IAMDB_PG_SUPERUSER_DSN,
    pgSocketDir: env.IAMDB_PG_SOCKET_DIR,
    mysqlSocket: env.IAMDB_MYSQL_SOCKET,
    mysqlAdminUser: env.IAMDB_MYSQL_ADMIN_USER,
    mysqlAdminPassword: env.IAMDB_MYSQL_ADMIN_PASSWORD,
    cachePort: Number(env.IAMDB_CACHE_PORT),
    cacheName: env.IAMDB_CACHE_NAME,
    cacheServerlessName: env.IAMDB_CACHE_SERVERLESS_NAME,
    memorydbName: env.IAMDB_MEMORYDB_NAME,
    cacheUser: env.IAMDB_CACHE_USER,
    addKey: ({ accessKeyId, secretAccessKey, sessionToken }) =>
      run([
        'add-key',
        '--access-key-id',
        accessKeyId,
        '--secret-access-key',
        secretAccessKey,
        ...(sessionToken ? ['--session-token', sessionToken] : []),
      ]),
    setMaxAge: (seconds) => run(['set-max-age', String(Math.trunc(seconds))]),
    // Cache connections are cut this long after their last accepted AUTH.
    setMaxConnectionAge: (seconds) => run(['set-max-connection-age', String(seconds)]),
    // A position in the validator log, then the entries (objects) written after it.
    mark: () => fs.statSync(logFile).size,
    logSince: (mark) => {
      const fd = fs.openSync(logFile, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - mark));
        fs.readSync(fd, buf, 0, buf.length, mark);
        return buf
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

async function up() {
  await run(['up', '--hold', String(process.pid)]);
  return settings(JSON.parse(await run(['json'])));
}

async function down() {
  await run(['down', '--release', String(process.pid)]);
}

module.exports = { up, down, ENTRY };
