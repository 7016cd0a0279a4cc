// The package entry for `import`: the same objects as require('rds-iam') (one native module).
import rdsIam from './main.js';

export const {
  Signer,
  sign,
  clearCaches,
  stats,
  VERSION,
  caBundle,
  tls,
  tlsCovered,
  proxy,
  mysql2,
  pg,
  postgres,
  sequelize,
  redis,
  ioredis,
  iovalkey,
  ERROR_CODES,
  RdsIamError,
  NoCredentials,
  CredentialsExpired,
  NoRegion,
  InvalidEndpoint,
  InvalidArgument,
  ProviderError,
  Timeout,
  NoNativeBuild,
} = rdsIam;
export default rdsIam;
