'use strict';
// Drop-ins for @aws-sdk/rds-signer and @aws-sdk/dsql-signer: their constructors and methods,
// backed by rds-iam's Signer, so migrating is a change of import and tokens come from the
// process-wide cache (signed once, reused while good) instead of being signed on every call.
// Options map one to one: hostname → host, username → user; credentials are an identity or an
// identity provider as the SDK takes them; without a region, the hostname's region, then
// AWS_REGION / AWS_DEFAULT_REGION (the SDKs take the configured region even when the hostname
// names another).
const { invalidArgument } = require('./errors.js');

const IDENTITY_KEYS = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration'];

/** The SDK's `credentials` as rds-iam takes them: a provider as is, an identity's known keys. */
function credentialsOf(credentials) {
  if (credentials === undefined || typeof credentials === 'function') return credentials;
  if (credentials === null || typeof credentials !== 'object') return credentials;
  const out = {};
  for (const k of IDENTITY_KEYS) if (credentials[k] !== undefined) out[k] = credentials[k];
  return out;
}

function makePeers(native) {
  const { Signer, NoRegion } = native;

  /** A native Signer for `options`; the environment's region when none is given or inferred. */
  function signerFor(options) {
    try {
      return new Signer(options);
    } catch (e) {
      const env = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
      if (!(e instanceof NoRegion) || options.region !== undefined || !env) throw e;
      return new Signer({ ...options, region: env });
    }
  }

  function configOf(configuration, peer) {
    if (configuration === null || typeof configuration !== 'object') {
      throw invalidArgument(
        `invalid argument \`configuration\`: new ${peer}() takes an options object`,
      );
    }
    if (typeof configuration.hostname !== 'string') {
      throw invalidArgument(
        `invalid argument \`hostname\`: new ${peer}() needs the endpoint's hostname`,
      );
    }
    const options = { host: configuration.hostname };
    if (configuration.region !== undefined) options.region = configuration.region;
    const credentials = credentialsOf(configuration.credentials);
    if (credentials !== undefined) options.credentials = credentials;
    if (configuration.profile !== undefined && credentials === undefined)
      options.profile = configuration.profile;
    return options;
  }

  /** `@aws-sdk/rds-signer`'s `Signer`: `new Signer({ hostname, port, username, region?, credentials?, profile? })`. */
  class RdsSigner {
    #signer;
    constructor(configuration) {
      const options = configOf(configuration, 'Signer');
      if (configuration.port !== undefined) options.port = configuration.port;
      options.user = configuration.username;
      this.#signer = signerFor(options);
    }

    /** An RDS IAM auth token (the database password), from the cache while one is good. */
    getAuthToken() {
      return this.#signer.token();
    }
  }

  /** `@aws-sdk/dsql-signer`'s `DsqlSigner`: `new DsqlSigner({ hostname, region?, credentials?, expiresIn? })`. */
  class DsqlSigner {
    #connect;
    #admin;
    #options;
    constructor(configuration) {
      const options = configOf(configuration, 'DsqlSigner');
      if (configuration.expiresIn !== undefined) options.expiresIn = configuration.expiresIn;
      this.#options = options;
    }

    /** A token for a custom database role (`DbConnect`). */
    getDbConnectAuthToken() {
      this.#connect ??= signerFor({ ...this.#options, kind: 'dsql_connect' });
      return this.#connect.token();
    }

    /** A token for the `admin` role (`DbConnectAdmin`). */
    getDbConnectAdminAuthToken() {
      this.#admin ??= signerFor({ ...this.#options, kind: 'dsql_admin', user: 'admin' });
      return this.#admin.token();
    }
  }

  return { Signer: RdsSigner, DsqlSigner };
}

module.exports = { makePeers };
