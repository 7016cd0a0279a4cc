'use strict';
// Driver helpers: connection settings that make each driver ask the signer for a password on
// every new physical connection, with TLS that verifies the server (Node's CAs + the RDS CA
// bundle; the signer's signHost for tunnels) unless the caller says otherwise. Plain data in,
// plain objects out; tokens, caching and errors all come from the native Signer.
const net = require('node:net');
const { invalidArgument } = require('./errors.js');
const { tunnelName } = require('./tls.js');

function checkSigner(signer, helper) {
  if (signer === null || typeof signer !== 'object' || typeof signer.token !== 'function') {
    throw invalidArgument(`invalid argument \`signer\`: rdsIam.${helper}() takes a Signer`);
  }
}

function makeDrivers(tls) {
  /** The caller's `ssl` as given, else verifying options (`ca`, `verify: false` to only encrypt). */
  function ssl(options, servername) {
    if (options && options.ssl !== undefined) return options.ssl;
    return tls({ ca: options?.ca, caPem: options?.caPem, verify: options?.verify, servername });
  }

  /**
   * mysql2: `mysql.createPool({ ...rdsIam.mysql2(signer), database: 'app' })`.
   *
   * The token goes out through a custom `mysql_clear_password` auth plugin, called for every new
   * connection (mysql2 ≥ 3.22 refuses the built-in cleartext plugin unless a custom one is given
   * or `enableCleartextPlugin` is set). TLS verifies the server and its name. mysql2 checks the
   * name against `host` only, so for a tunnel `host` is the signHost and `stream` dials the
   * tunnel's address.
   */
  function mysql2(signer, options = {}) {
    checkSigner(signer, 'mysql2');
    const name =
      options.ssl === undefined && options.verify !== false ? tunnelName(signer) : undefined;
    const settings = {
      host: name || signer.host,
      port: signer.port,
      user: signer.user,
      ssl:
        options.ssl !== undefined
          ? options.ssl
          : { ...ssl(options), verifyIdentity: options.verify !== false },
      authPlugins: {
        mysql_clear_password: () => () => signer.token().then((t) => Buffer.from(`${t}\0`)),
      },
    };
    if (name) settings.stream = () => net.connect({ host: signer.host, port: signer.port });
    return settings;
  }

  /** What pg and postgres.js take alike: host, port, user, the password function, TLS. */
  function postgresSettings(signer, options, helper) {
    checkSigner(signer, helper);
    return {
      host: signer.host,
      port: signer.port,
      user: signer.user,
      password: signer.password,
      ssl: ssl(options, tunnelName(signer)),
    };
  }

  /**
   * pg (node-postgres): `new pg.Pool({ ...rdsIam.pg(signer), database: 'app' })` — the same as
   * `password: signer.password` plus host, port, user, and verifying TLS unless `options.ssl`.
   */
  function pg(signer, options = {}) {
    return postgresSettings(signer, options, 'pg');
  }

  /**
   * postgres.js: `postgres({ ...rdsIam.postgres(signer), database: 'app' })` — host, port, user,
   * `password: signer.password`, and verifying TLS unless `options.ssl`.
   */
  function postgres(signer, options = {}) {
    return postgresSettings(signer, options, 'postgres');
  }

  return { mysql2, pg, postgres };
}

module.exports = { makeDrivers, checkSigner };
