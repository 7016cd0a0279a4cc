// Types of the package entry for `import` (main.mjs): the same API as require('rds-iam')
// (main.d.ts), as named exports and as the default export main.mjs has.
import * as rdsIam from './main.js';

export * from './main.js';
export default rdsIam;
