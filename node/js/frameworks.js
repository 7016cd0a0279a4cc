'use strict';
// Framework helpers: settings for ORMs whose own options can't carry a password function.
// Prisma, Drizzle and TypeORM take a driver's options (`rdsIam.pg()` / `rdsIam.postgres()` /
// `rdsIam.mysql2()`) as they are, so they need none; Sequelize copies only some driver options
// and takes credentials through its `beforeConnect` hook, called for every new physical
// connection.

const { checkSigner } = require('./drivers.js');
const { invalidArgument } = require('./errors.js');

const SEQUELIZE_DIALECTS = ['postgres', 'mysql', 'mariadb'];

function makeFrameworks(drivers) {
  /**
   * Sequelize: `new Sequelize({ ...rdsIam.sequelize(signer, { dialect }), database })`.
   *
   * `postgres` (pg) and `mariadb` (the mariadb connector, which has no password callback of its
   * own): a `beforeConnect` hook sets `config.password` to the signer's token for every new
   * connection, and `dialectOptions.ssl` verifies the server (the signHost for a tunnel).
   * `mysql` (mysql2): `dialectOptions` is `rdsIam.mysql2(signer)`, which Sequelize spreads into
   * mysql2's options last: the token goes out through its cleartext auth plugin. For every
   * dialect the hook also puts the verifying TLS options back (see below).
   */
  function sequelize(signer, options = {}) {
    checkSigner(signer, 'sequelize');
    const dialect = options?.dialect ?? 'postgres';
    if (!SEQUELIZE_DIALECTS.includes(dialect)) {
      throw invalidArgument(
        `invalid argument \`dialect\`: ${JSON.stringify(dialect)}; rdsIam.sequelize() takes ` +
          `${SEQUELIZE_DIALECTS.map((d) => `'${d}'`).join(', ')}`,
      );
    }
    const { dialect: _dialect, ...driverOptions } = options ?? {};
    const mysql = dialect === 'mysql';
    // pg and the mariadb connector take the same `ssl` (tls.connect options; both honour
    // `servername` / `checkServerIdentity`, so a tunnel is checked against the signHost).
    const settings = mysql
      ? drivers.mysql2(signer, driverOptions)
      : drivers.pg(signer, driverOptions);
    const ssl = settings.ssl;
    const cloneSafe = { ssl: withoutSecureContext(ssl) };
    return {
      dialect,
      host: settings.host,
      port: settings.port,
      username: settings.user,
      dialectOptions: mysql ? { ...settings, ...cloneSafe } : cloneSafe,
      hooks: {
        beforeConnect: async (config) => {
          // Sequelize deep-copies its config (lodash cloneDeep) when it starts; a copied
          // tls.SecureContext crashes Node (SIGSEGV in TLSWrap). The options above carry none
          // (the CAs alone still verify); the live ones, whose context is built once, go back
          // in here before every connection.
          config.dialectOptions = { ...config.dialectOptions, ssl };
          if (!mysql) config.password = await signer.token();
        },
      },
    };
  }

  return { sequelize };
}

/** TLS options without the prebuilt `secureContext` (for options a framework deep-copies). */
function withoutSecureContext(ssl) {
  if (ssl === null || typeof ssl !== 'object' || !('secureContext' in ssl)) return ssl;
  const { secureContext: _context, ...rest } = ssl;
  return rest;
}

module.exports = { makeFrameworks };
