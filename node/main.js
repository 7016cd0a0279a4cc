'use strict';
// The package entry (CommonJS): the generated native loader's API plus the driver helpers.
const native = require('./index.js');
const drivers = require('./js/drivers.js');
const { makeSign } = require('./js/sign.js');

module.exports = {
  Signer: native.Signer,
  sign: makeSign(native),
  clearCaches: native.clearCaches,
  stats: native.stats,
  VERSION: native.VERSION,
  mysql2: drivers.mysql2,
  pg: drivers.pg,
  postgres: drivers.postgres,
};
