// Types of the package entry: the generated native API (./index) plus the driver helpers.
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Signer } from './index';

export { Signer, sign, clearCaches, stats, VERSION } from './index';
export type { SignerOptions, SignOptions, CredentialsInput, TokenInfo, Stats } from './index';

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

/** mysql2 settings: spread into `mysql.createPool({ ... })` / `createConnection({ ... })`. */
export interface Mysql2Settings {
  host: string;
  port: number;
  user: string;
  ssl: Mysql2Ssl;
  authPlugins: {
    /** Sends `signer.token()` when the server asks for a cleartext password (RDS IAM). */
    mysql_clear_password: () => (pluginData?: Buffer) => Promise<Buffer>;
  };
}

/** pg settings: spread into `new pg.Pool({ ... })` / `new pg.Client({ ... })`. */
export interface PgSettings {
  host: string;
  port: number;
  user: string;
  password: () => Promise<string>;
  ssl: PgSsl;
}

/** postgres.js settings: spread into `postgres({ ... })`. */
export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password: () => Promise<string>;
  ssl: PostgresSsl;
}

/**
 * `mysql.createPool({ ...rdsIam.mysql2(signer), database })`: a token for every new connection
 * through a custom `mysql_clear_password` plugin (mysql2 ≥ 3.22 refuses the built-in one unless
 * enabled), and TLS on (`ssl: {}`, verified against Node's CAs) unless `options.ssl` is given —
 * for RDS pass its CA bundle, e.g. `{ ssl: { ca } }`.
 */
export declare function mysql2(signer: Signer, options?: { ssl?: Mysql2Ssl }): Mysql2Settings;
/** `new pg.Pool({ ...rdsIam.pg(signer), database })`: token per connection, TLS on (`ssl: true`). */
export declare function pg(signer: Signer, options?: { ssl?: PgSsl }): PgSettings;
/** `postgres({ ...rdsIam.postgres(signer), database })`: token per connection, TLS on (`'verify-full'`). */
export declare function postgres(signer: Signer, options?: { ssl?: PostgresSsl }): PostgresSettings;
