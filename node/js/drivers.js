'use strict';
// Driver helpers: connection settings that make each driver ask the signer for a password on
// every new physical connection, with TLS on unless the caller says otherwise. Plain data in,
// plain objects out; tokens, caching and errors all come from the native Signer.

function checkSigner(signer, helper) {
  if (signer === null || typeof signer !== 'object' || typeof signer.token !== 'function') {
    const err = new Error(`invalid argument \`signer\`: rdsIam.${helper}() takes a Signer`);
    err.code = 'InvalidArgument';
    throw err;
  }
}

function tls(options, fallback) {
  return options && options.ssl !== undefined ? options.ssl : fallback;
}

/**
 * mysql2: `mysql.createPool({ ...rdsIam.mysql2(signer), database: 'app' })`.
 *
 * The token goes out through a custom `mysql_clear_password` auth plugin, called for every new
 * connection (mysql2 ≥ 3.22 refuses the built-in cleartext plugin unless a custom one is given
 * or `enableCleartextPlugin` is set). TLS is on (`ssl: {}`: verified against Node's CAs) unless
 * `options.ssl` says otherwise; for RDS pass its CA bundle, e.g. `{ ssl: { ca } }`.
 */
function mysql2(signer, options = {}) {
  checkSigner(signer, 'mysql2');
  return {
    host: signer.host,
    port: signer.port,
    user: signer.user,
    ssl: tls(options, {}),
    authPlugins: {
      mysql_clear_password: () => () => signer.token().then((t) => Buffer.from(`${t}\0`)),
    },
  };
}

/**
 * pg (node-postgres): `new pg.Pool({ ...rdsIam.pg(signer), database: 'app' })` — the same as
 * `password: signer.password` plus host, port, user, and TLS on (`ssl: true`, verified against
 * Node's CAs) unless `options.ssl` says otherwise.
 */
function pg(signer, options = {}) {
  checkSigner(signer, 'pg');
  return {
    host: signer.host,
    port: signer.port,
    user: signer.user,
    password: signer.password,
    ssl: tls(options, true),
  };
}

/**
 * postgres.js: `postgres({ ...rdsIam.postgres(signer), database: 'app' })` — host, port, user,
 * `password: signer.password`, and TLS on (`ssl: 'verify-full'`) unless `options.ssl` says
 * otherwise.
 */
function postgres(signer, options = {}) {
  checkSigner(signer, 'postgres');
  return {
    host: signer.host,
    port: signer.port,
    user: signer.user,
    password: signer.password,
    ssl: tls(options, 'verify-full'),
  };
}

module.exports = { mysql2, pg, postgres };
