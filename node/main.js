'use strict';
// The package entry (CommonJS): the generated native loader's API plus the driver helpers.
const native = require('./index.js');
const { makeCacheHooks } = require('./js/caches.js');
const { makeDrivers } = require('./js/drivers.js');
const errors = require('./js/errors.js');
const { makeFrameworks } = require('./js/frameworks.js');
const { dressLocalProxy, dressSigner } = require('./js/shown.js');
const { makeSign } = require('./js/sign.js');
const { makeTls } = require('./js/tls.js');

// Core errors become instances of the classes in js/errors.js (per thread: a worker that
// requires the package sets its own).
native.__setErrorFactory(errors.fromNative);
const ERROR_CODES = Object.freeze(native.errorCodes());
for (const code of ERROR_CODES) errors.classFor(code);
dressSigner(native.Signer);
dressLocalProxy(native.LocalProxy);

const caBundle = native.caBundlePem();
const tls = makeTls(caBundle);
const drivers = makeDrivers(tls);
const frameworks = makeFrameworks(drivers);
const caches = makeCacheHooks(tls);

module.exports = {
  Signer: native.Signer,
  sign: makeSign(native),
  clearCaches: native.clearCaches,
  stats: native.stats,
  VERSION: native.VERSION,
  caBundle,
  tls,
  tlsCovered: native.tlsCovered,
  proxy: native.proxy,
  mysql2: drivers.mysql2,
  pg: drivers.pg,
  postgres: drivers.postgres,
  sequelize: frameworks.sequelize,
  redis: caches.redis,
  ioredis: caches.ioredis,
  iovalkey: caches.iovalkey,
  ERROR_CODES,
  RdsIamError: errors.RdsIamError,
  ...errors.classes,
};
