// Types of `rds-iam/dsql-signer`: @aws-sdk/dsql-signer's `DsqlSigner`, backed by rds-iam.
import type { CredentialsInput } from './index';

/** What `new DsqlSigner()` takes: @aws-sdk/dsql-signer's `DsqlSignerConfig` keys. */
export interface DsqlSignerConfig {
  /** The cluster endpoint, `<id>.dsql.<region>.on.aws`. */
  hostname: string;
  /** The signing region (default: the hostname's, then AWS_REGION / AWS_DEFAULT_REGION). */
  region?: string;
  /** An AWS identity, or a provider of one; default: the chain. */
  credentials?: CredentialsInput | (() => Promise<CredentialsInput>);
  /** Token lifetime in seconds (default 900, at most 604800). */
  expiresIn?: number;
}

/** @aws-sdk/dsql-signer's `DsqlSigner`: tokens come from rds-iam's process-wide cache. */
export declare class DsqlSigner {
  constructor(configuration: DsqlSignerConfig);
  /** A token for a custom database role (`DbConnect`). */
  getDbConnectAuthToken(): Promise<string>;
  /** A token for the `admin` role (`DbConnectAdmin`). */
  getDbConnectAdminAuthToken(): Promise<string>;
}
