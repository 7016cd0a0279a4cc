'use strict';
// Shared by the node:test files: the PACKED package (installed by `make node-test` into a temp
// project), paths, and an environment with the iamdb key as default-chain credentials.
const { createRequire } = require('node:module');
const path = require('node:path');

const REPO = path.resolve(__dirname, '../..');
const PROJECT = process.env.RDS_IAM_TEST_PROJECT;
if (!PROJECT) {
  throw new Error(
    'RDS_IAM_TEST_PROJECT is not set: run the Node tests with `make node-test`, ' +
      'which packs the package and installs it into a temp project',
  );
}
const requireFromProject = createRequire(path.join(PROJECT, 'package.json'));
const PKG_ENTRY = requireFromProject.resolve('rds-iam');
const rdsIam = requireFromProject('rds-iam');
/** The packed package's native module itself (for what the package does not export). */
const native = require(path.join(path.dirname(PKG_ENTRY), 'index.js'));

/** Environment for a credential lookup through the default chain with fixed keys only. */
function isolatedEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('AWS_')) delete env[k];
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/rds-iam-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/rds-iam-test/credentials',
    ...extra,
  };
}

/** Replaces this process's AWS_* variables (before the first credential fetch). */
function useEnv(extra) {
  const env = isolatedEnv(extra);
  for (const k of Object.keys(process.env)) {
    if (!(k in env)) delete process.env[k];
  }
  Object.assign(process.env, env);
}

module.exports = {
  REPO,
  PROJECT,
  PKG_ENTRY,
  rdsIam,
  native,
  requireFromProject,
  isolatedEnv,
  useEnv,
};
