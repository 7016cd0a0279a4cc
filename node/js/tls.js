'use strict';
// TLS options for database connections: RDS and Aurora certificates chain to Amazon RDS's own
// roots, which Node's root CAs lack, so the default trust is Node's CAs + the RDS bundle the
// package ships. RDS Proxy and Aurora DSQL use public CAs that Node's CAs already hold.
const fs = require('node:fs');
const nodeTls = require('node:tls');
const { deprecated } = require('./deprecate.js');
const { invalidArgument } = require('./errors.js');

let warned = false;

/** Node's default CAs (with NODE_EXTRA_CA_CERTS where this Node can list them). */
function defaultCas() {
  return typeof nodeTls.getCACertificates === 'function'
    ? nodeTls.getCACertificates('default')
    : nodeTls.rootCertificates;
}

function warnUnverified() {
  if (!warned) {
    warned = true;
    // The code is spelled as the error codes are; the old one stays on `.legacyCode`.
    const warning = new Error(
      'rds-iam: verify: false: TLS without checking the server certificate; ' +
        'an IAM token is a password anyone on the path can replay for 15 minutes',
    );
    warning.name = 'Warning';
    warning.code = 'TlsUnverified';
    warning.legacyCode = 'RDS_IAM_TLS_UNVERIFIED';
    process.emitWarning(warning);
  }
}

/** `signHost` without its `:port` (`[v6]:port` keeps its brackets). */
function hostname(signHost) {
  const m = /^(.*):(\d+)$/.exec(signHost);
  return m && (!m[1].includes(':') || m[1].endsWith(']')) ? m[1] : signHost;
}

/** The name a tunnel's certificate must carry: the signer's signHost (no port) when it differs. */
function tunnelName(signer) {
  if (typeof signer.signHost !== 'string') return undefined;
  const name = hostname(signer.signHost);
  return name.toLowerCase() !== String(signer.host).toLowerCase() ? name : undefined;
}

/**
 * The PEM roots `options` name, or undefined for the default trust. `ca` is a path everywhere
 * (read here); `caPem` is PEM content. PEM content in `ca` (a string holding `-----BEGIN`, a
 * Buffer, an array) still works, with a DeprecationWarning.
 */
function rootsOf(options, where) {
  const { ca, caPem } = options;
  if (ca !== undefined && caPem !== undefined) {
    throw invalidArgument(
      `invalid argument \`ca\`: ${where} takes \`ca\` (a CA file's path) or \`caPem\` (PEM content), not both`,
    );
  }
  if (caPem !== undefined) return caPem;
  if (ca === undefined || ca === null) return undefined;
  if (typeof ca === 'string' && !ca.includes('-----BEGIN')) {
    try {
      return fs.readFileSync(ca, 'utf8');
    } catch (e) {
      throw invalidArgument(
        `invalid argument \`ca\`: cannot read the CA file ${JSON.stringify(ca)} (${e.code || e.message}); ` +
          '`ca` is a path to a PEM file (pass PEM content as `caPem`)',
      );
    }
  }
  deprecated('PEM content in `ca`', 'pass it as `caPem`, or a file path as `ca`');
  return ca;
}

function makeTls(caBundle) {
  // tls.connect parses `ca` again for every connection (~60 ms for these ~145 roots here); a
  // secureContext built once is reused by pg and postgres.js (mysql2 caches its own from `ca`).
  let defaults;
  const defaultTrust = () => {
    if (!defaults) {
      const ca = [...defaultCas(), caBundle];
      defaults = { ca, secureContext: nodeTls.createSecureContext({ ca }) };
    }
    return defaults;
  };

  /**
   * `tls.connect` options that verify the server: `ca` = Node's CAs + the RDS bundle (or the
   * roots in the file `options.ca` / the PEM `options.caPem`) and the `secureContext` built from
   * it once, `rejectUnauthorized: true`, and with `servername` the certificate is checked
   * against that name whatever address was dialled. `verify: false` encrypts only (one warning).
   */
  return function tls(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(
        'invalid argument `options`: rdsIam.tls() takes { ca, caPem, verify, servername }',
      );
    }
    if (options.verify === false) {
      warnUnverified();
      return { rejectUnauthorized: false };
    }
    const roots = rootsOf(options, 'rdsIam.tls()');
    const trust =
      roots !== undefined
        ? { ca: roots, secureContext: nodeTls.createSecureContext({ ca: roots }) }
        : defaultTrust();
    const out = { ca: trust.ca, secureContext: trust.secureContext, rejectUnauthorized: true };
    if (options.servername) {
      const name = options.servername;
      out.servername = name;
      out.checkServerIdentity = (_dialled, cert) => nodeTls.checkServerIdentity(name, cert);
    }
    return out;
  };
}

module.exports = { makeTls, tunnelName, hostname };
