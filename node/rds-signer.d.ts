// Types of `rds-iam/rds-signer`: @aws-sdk/rds-signer's `Signer`, backed by rds-iam.
import type { CredentialsInput } from './index';

/** What `new Signer()` takes: @aws-sdk/rds-signer's `SignerConfig` keys. */
export interface SignerConfig {
  /** The database endpoint's hostname. */
  hostname: string;
  /** The database port. */
  port: number;
  /** The database user. */
  username: string;
  /** The signing region (default: the hostname's, then AWS_REGION / AWS_DEFAULT_REGION). */
  region?: string;
  /** An AWS identity, or a provider of one (`fromNodeProviderChain()`, …); default: the chain. */
  credentials?: CredentialsInput | (() => Promise<CredentialsInput>);
  /** A named profile from the shared AWS config files (when `credentials` is not given). */
  profile?: string;
}

/** @aws-sdk/rds-signer's `Signer`: tokens come from rds-iam's process-wide cache. */
export declare class Signer {
  constructor(configuration: SignerConfig);
  /** An RDS IAM auth token (the database password), from the cache while one is good. */
  getAuthToken(): Promise<string>;
}
