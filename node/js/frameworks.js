'use strict';
// Framework helpers: settings for ORMs whose own options can't carry a password function.
// Prisma, Drizzle and TypeORM take a driver's options (`rdsIam.pg()` / `rdsIam.postgres()` /
// `rdsIam.mysql2()`) as they are, so they need none; Sequelize copies only some driver options
// and takes credentials through its `beforeConnect` hook, called for every new physical
// connection.

const { checkSigner } = require('./drivers.js');

const SEQUELIZE_DIALECTS = ['postgres', 'mysql', 'mariadb'];

function makeFrameworks(drivers) {
  /**
   * Sequelize: `new Sequelize({ ...rdsIam.sequelize(signer, { dialect }), database })`.
   *
   * `postgres` (pg) and `mariadb` (the mariadb connector, which has no password callback of its
   * own): a `beforeConnect` hook sets `config.password` to the signer's token for every new
   * connection, and `dialectOptions.ssl` verifies the server (the signHost for a tunnel).
   * `mysql` (mysql2): `dialectOptions` is `rdsIam.mysql2(signer)`, which Sequelize spreads into
   * mysql2's options last: the token goes out through its cleartext auth plugin.
   */
  function sequelize(signer, options = {}) {
    checkSigner(signer, 'sequelize');
    const dialect = options?.dialect ?? 'postgres';
    if (!SEQUELIZE_DIALECTS.includes(dialect)) {
      const err = new Error(
        `invalid argument \`dialect\`: ${JSON.stringify(dialect)}; rdsIam.sequelize() takes ` +
          `${SEQUELIZE_DIALECTS.map((d) => `'${d}'`).join(', ')}`,
      );
      err.code = 'InvalidArgument';
      throw err;
    }
    const { dialect: _dialect, ...driverOptions } = options ?? {};
    if (dialect === 'mysql') {
      const settings = drivers.mysql2(signer, driverOptions);
      return {
        dialect,
        host: settings.host,
        port: settings.port,
        username: settings.user,
        dialectOptions: settings,
      };
    }
    // pg and the mariadb connector take the same `ssl` (tls.connect options; both honour
    // `servername` / `checkServerIdentity`, so a tunnel is checked against the signHost).
    const settings = drivers.pg(signer, driverOptions);
    return {
      dialect,
      host: settings.host,
      port: settings.port,
      username: settings.user,
      dialectOptions: { ssl: settings.ssl },
      hooks: {
        beforeConnect: async (config) => {
          config.password = await signer.token();
        },
      },
    };
  }

  return { sequelize };
}

module.exports = { makeFrameworks };
