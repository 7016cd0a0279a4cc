'use strict';
// Preloaded (`node --require`) for the docs' Node blocks only: iamdb's test CA joins every TLS
// context, as NODE_EXTRA_CA_CERTS does on a Node whose tls.getCACertificates() rds-iam can read
// (>= 22.15); this Node's rds-iam builds its trust from tls.rootCertificates, which omits it.
const fs = require('node:fs');
const tls = require('node:tls');

const extra = fs.readFileSync(process.env.DOCS_EXTRA_CA, 'utf8');
const create = tls.createSecureContext;
tls.createSecureContext = function createSecureContext(options) {
  const context = create.call(this, options);
  context.context.addCACert(extra);
  return context;
};
