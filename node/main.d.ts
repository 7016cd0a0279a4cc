// Types of the package entry: the generated native API (./index) plus the driver helpers.
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Signer } from './index';

export { Signer, sign, clearCaches, stats, VERSION, tlsCovered, proxy } from './index';
export type {
  SignerOptions,
  SignOptions,
  CredentialsInput,
  TokenInfo,
  Stats,
  UrlOptions,
  ProxyOptions,
  ClientTlsFiles,
  LocalProxy,
} from './index';

/** A stable error code of the core library (`ERROR_CODES`), each the name of its class. */
export type ErrorCode =
  | 'NoCredentials'
  | 'CredentialsExpired'
  | 'NoRegion'
  | 'InvalidEndpoint'
  | 'InvalidArgument'
  | 'ProviderError'
  | 'Timeout';

/** The core library's error codes, in its order; each has a class of the same name. */
export declare const ERROR_CODES: readonly ErrorCode[];

/** What an `RdsIamError` is made with. */
export interface RdsIamErrorOptions {
  /** The code (default: the class's own). */
  code?: string;
  /** The credential provider that failed. */
  provider?: string;
  /** The error that led to this one. */
  cause?: unknown;
}

/**
 * The base class of every error rds-iam throws: `err instanceof RdsIamError`. `code` is the
 * stable code (the subclass's name); messages say what to do next and never hold a secret.
 */
export declare class RdsIamError extends Error {
  constructor(message: string, options?: RdsIamErrorOptions);
  /** The stable code: `'NoCredentials'`, `'InvalidArgument'`, … (`ERROR_CODES`). */
  code: string;
  /** The credential provider that failed (`ProviderError`, `CredentialsExpired`, `Timeout`). */
  provider: string | undefined;
  /** The class's code. */
  static readonly code: string;
}
/** No credential source produced AWS credentials. */
export declare class NoCredentials extends RdsIamError {
  code: 'NoCredentials';
}
/** The credentials on hand expired and could not be refreshed. */
export declare class CredentialsExpired extends RdsIamError {
  code: 'CredentialsExpired';
}
/** No region was given and none can be inferred from the hostname. */
export declare class NoRegion extends RdsIamError {
  code: 'NoRegion';
}
/** The host or port cannot be signed for. */
export declare class InvalidEndpoint extends RdsIamError {
  code: 'InvalidEndpoint';
}
/** Another argument (user, lifetime, option combination, a helper's option) is invalid. */
export declare class InvalidArgument extends RdsIamError {
  code: 'InvalidArgument';
}
/** A credential provider (IMDS, STS, SSO, credential_process, …) failed; `provider` names it. */
export declare class ProviderError extends RdsIamError {
  code: 'ProviderError';
}
/** A credential fetch took longer than the configured timeout; `provider` names the source. */
export declare class Timeout extends RdsIamError {
  code: 'Timeout';
}
/**
 * `require('rds-iam')` found no native build for this platform (or its platform package is
 * missing). `legacyCode` is the code before 0.2, `'ERR_RDS_IAM_NO_NATIVE_BUILD'`.
 */
export declare class NoNativeBuild extends RdsIamError {
  code: 'NoNativeBuild';
  /** This process's platform, e.g. `linux-x64-gnu`. */
  platform: string;
  /** `'ERR_RDS_IAM_NO_NATIVE_BUILD'` (deprecated: match `code` or the class). */
  legacyCode: string;
}

/** mysql2's `ssl`: an SSL profile name or TLS options (its own `SslOptions` shape). */
export type Mysql2Ssl =
  | string
  | {
      pfx?: string;
      key?: string | string[] | Buffer | Buffer[];
      passphrase?: string;
      cert?: string | string[] | Buffer | Buffer[];
      ca?: string | string[] | Buffer | Buffer[];
      crl?: string | string[];
      ciphers?: string;
      rejectUnauthorized?: boolean;
      verifyIdentity?: boolean;
      minVersion?: string;
      maxVersion?: string;
    };

/** pg's `ssl`: `true` (verify against Node's CAs) or `tls.connect` options. */
export type PgSsl = boolean | TlsConnectionOptions;

/** postgres.js's `ssl`. */
export type PostgresSsl =
  | boolean
  | 'require'
  | 'allow'
  | 'prefer'
  | 'verify-full'
  | TlsConnectionOptions;

/**
 * The Amazon RDS root CA certificates (PEM) shipped with the package: what `ca` must hold to
 * verify an RDS / Aurora endpoint. `rdsIam.tls()` adds them to Node's root CAs.
 */
export declare const caBundle: string;

/** What `rdsIam.tls()` and the driver helpers take. */
export interface TlsInput {
  /**
   * The path of a PEM file of roots that replaces the default trust (Node's CAs + `caBundle`):
   * a private CA, or a region the bundle lacks. PEM content here still works until the next
   * minor release, with a DeprecationWarning: pass it as `caPem`.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM content (the roots themselves) that replaces the default trust; not with `ca`. */
  caPem?: string | Buffer | Array<string | Buffer>;
  /** `false` encrypts without checking the server (logs one warning); default `true`. */
  verify?: boolean;
}

/** What `rdsIam.tls()` takes: `TlsInput` plus the name to check the certificate against. */
export interface TlsOptionsInput extends TlsInput {
  /** Check the certificate against this name (a tunnel: the real endpoint), whatever was dialled. */
  servername?: string;
}

/**
 * `tls.connect` options that verify the server: `ca` = Node's root CAs + the RDS bundle (or
 * `options.ca`) with a `secureContext` built from it once, `rejectUnauthorized: true`, and `servername` / `checkServerIdentity` for a
 * tunnel. With `verify: false`, `{ rejectUnauthorized: false }` and one warning.
 */
export declare function tls(options?: TlsOptionsInput): TlsConnectionOptions;

/** What the driver helpers take: their driver's own `ssl` (used as is), or `ca` / `verify`. */
export interface HelperOptions<Ssl> extends TlsInput {
  ssl?: Ssl;
}

/** mysql2 settings: spread into `mysql.createPool({ ... })` / `createConnection({ ... })`. */
export interface Mysql2Settings {
  host: string;
  port: number;
  /** `signer.user`: the login user (`undefined` for a `dsql_connect` signer given none). */
  user: string | undefined;
  ssl: Mysql2Ssl;
  /** Set for a tunnel (signHost differs from host): dials the signer's host while `host` is the signHost. */
  stream?: () => import('node:net').Socket;
  authPlugins: {
    /** Sends `signer.token()` when the server asks for a cleartext password (RDS IAM). */
    mysql_clear_password: () => (pluginData?: Buffer) => Promise<Buffer>;
  };
}

/** pg settings: spread into `new pg.Pool({ ... })` / `new pg.Client({ ... })`. */
export interface PgSettings {
  host: string;
  port: number;
  /** `signer.user`: the login user (`undefined` for a `dsql_connect` signer given none). */
  user: string | undefined;
  password: () => Promise<string>;
  ssl: PgSsl;
}

/** postgres.js settings: spread into `postgres({ ... })`. */
export interface PostgresSettings {
  host: string;
  port: number;
  /** `signer.user`: the login user (`undefined` for a `dsql_connect` signer given none). */
  user: string | undefined;
  password: () => Promise<string>;
  ssl: PostgresSsl;
}

/**
 * `mysql.createPool({ ...rdsIam.mysql2(signer), database })`: a token for every new connection
 * through a custom `mysql_clear_password` plugin (mysql2 ≥ 3.22 refuses the built-in one unless
 * enabled), and TLS that verifies the server and its name (Node's CAs + the RDS bundle; the
 * signHost for a tunnel) unless `options.ssl` is given. `{ ca }` for a private CA.
 */
export declare function mysql2(signer: Signer, options?: HelperOptions<Mysql2Ssl>): Mysql2Settings;
/** `new pg.Pool({ ...rdsIam.pg(signer), database })`: token per connection, verifying TLS (`rdsIam.tls()`). */
export declare function pg(signer: Signer, options?: HelperOptions<PgSsl>): PgSettings;
/** `postgres({ ...rdsIam.postgres(signer), database })`: token per connection, verifying TLS (`rdsIam.tls()`). */
export declare function postgres(
  signer: Signer,
  options?: HelperOptions<PostgresSsl>,
): PostgresSettings;

/** What `rdsIam.sequelize()` takes: the Sequelize dialect, and `ca` / `verify` / the driver's own `ssl`. */
export interface SequelizeInput extends TlsInput {
  /** `'postgres'` (pg, the default), `'mysql'` (mysql2) or `'mariadb'` (the mariadb connector). */
  dialect?: 'postgres' | 'mysql' | 'mariadb';
  /** The driver's own `ssl`, used as is (pg's / the mariadb connector's, or mysql2's). */
  ssl?: PgSsl | Mysql2Ssl;
}

/** Sequelize settings: spread into `new Sequelize({ ... })`. */
export interface SequelizeSettings {
  dialect: 'postgres' | 'mysql' | 'mariadb';
  host: string;
  port: number;
  /** `signer.user`. */
  username: string | undefined;
  /**
   * `postgres` / `mariadb`: `{ ssl }` (verifying TLS); `mysql`: the whole `rdsIam.mysql2(signer)`
   * settings, which Sequelize spreads into mysql2's options (the cleartext auth plugin). `ssl`
   * here has no prebuilt `secureContext` (the hook adds it).
   */
  dialectOptions: { ssl: PgSsl } | Mysql2Settings;
  /**
   * Before every new connection: puts the verifying TLS options back into `dialectOptions` (what
   * Sequelize deep-copies carries no `secureContext`: a copied one crashes Node), and for
   * `postgres` / `mariadb` sets `config.password` to `signer.token()`.
   */
  hooks: {
    beforeConnect: (config: { password: string | null; dialectOptions?: object }) => Promise<void>;
  };
}

/**
 * `new Sequelize({ ...rdsIam.sequelize(signer, { dialect }), database })`: a token for every new
 * connection (a `beforeConnect` hook for `postgres` / `mariadb`, mysql2's cleartext auth plugin
 * for `mysql`) and TLS that verifies the server unless `options.ssl` is given.
 */
export declare function sequelize(signer: Signer, options?: SequelizeInput): SequelizeSettings;
/** Cache hooks (ElastiCache / MemoryDB): how often live connections get a fresh token. */
export interface CacheRefreshOptions {
  /**
   * Seconds between re-AUTHs of live connections with a fresh token (default 36000, 10 hours:
   * ElastiCache and MemoryDB close an IAM connection 12 hours after its last AUTH).
   */
  refreshEvery?: number;
}

/** node-redis credentials: what its `credentialsProvider` returns. */
export interface RedisBasicAuth {
  username?: string;
  password?: string;
}

/** node-redis's `AsyncCredentialsProvider`: a token for every handshake. */
export interface RedisAsyncCredentialsProvider {
  readonly type: 'async-credentials-provider';
  credentials: () => Promise<RedisBasicAuth>;
}

/** node-redis's `StreamingCredentialsProvider`: a token per handshake, and fresh ones pushed. */
export interface RedisStreamingCredentialsProvider {
  readonly type: 'streaming-credentials-provider';
  subscribe: (listener: {
    onNext: (credentials: RedisBasicAuth) => void;
    onError: (error: Error) => void;
  }) => Promise<[RedisBasicAuth, { dispose(): void }]>;
  onReAuthenticationError: (error: Error) => void;
  /** Live subscriptions (node-redis subscribes once per handshake; closing disposes). */
  readonly subscriptions: number;
}

/** What `rdsIam.redis()` takes. */
export interface RedisProviderOptions extends CacheRefreshOptions {
  /** `false`: the plain async provider (no re-AUTH of live connections). Default `true`. */
  streaming?: boolean;
  /** Called when a pushed re-AUTH fails (node-redis reports it here). */
  onReAuthenticationError?: (error: Error) => void;
}

/**
 * node-redis ≥ 5: `createClient({ url, credentialsProvider: rdsIam.redis(signer) })` logs in as
 * `signer.user` with the signer's token and re-AUTHs live connections every `refreshEvery`
 * seconds (the timer is unref'd and stops when the last client closes).
 */
export declare function redis(
  signer: Signer,
  options: RedisProviderOptions & { streaming: false },
): RedisAsyncCredentialsProvider;
export declare function redis(
  signer: Signer,
  options?: RedisProviderOptions,
): RedisStreamingCredentialsProvider;

/** What `rdsIam.ioredis()` / `rdsIam.iovalkey()` take: the client's own options, plus these. */
export interface IoredisHookOptions extends CacheRefreshOptions, TlsOptionsInput {
  /** Address to dial (default `signer.host`: the endpoint the signer was given). */
  host?: string;
  /** Default `signer.port` (6379 unless the signer was given another). */
  port?: number;
  /** The client's own TLS options, used as given; default `rdsIam.tls({ ca, verify, servername })`. */
  tls?: TlsConnectionOptions;
  /** Any other ioredis / iovalkey option. */
  [option: string]: unknown;
}

/**
 * A new ioredis client (`Client`: e.g. `import type { Redis } from 'ioredis'`) logging in as
 * `signer.user` with the signer's token at every (re)connect, re-AUTHing every `refreshEvery`
 * seconds while ready (timer unref'd, stopped on `end`), with verifying TLS unless `tls` is given.
 */
export declare function ioredis<Client = unknown>(
  signer: Signer,
  options?: IoredisHookOptions,
): Client;
/** `rdsIam.ioredis()` for iovalkey, the Valkey fork of ioredis (same options). */
export declare function iovalkey<Client = unknown>(
  signer: Signer,
  options?: IoredisHookOptions,
): Client;
