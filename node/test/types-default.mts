// Type-checked by `make node-test` as an ESM consumer (copied next to types.ts by
// setup-types.js): `import rdsIam from 'rds-iam'` is the same API as the named exports.
import rdsIam, { Signer, RdsIamError } from 'rds-iam';

const s: Signer = new rdsIam.Signer({ host: 'h', user: 'u', region: 'us-east-1' });
const same: typeof RdsIamError = rdsIam.RdsIamError;
const kind: string = s.kind;
void [same, kind];
