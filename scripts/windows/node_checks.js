'use strict';
// Run by checks_node.py under wine's node.exe:  node.exe node_checks.js PROJECT_DIR BARE_PROJECT_DIR
// The package's Windows-only paths, printed as one JSON line for the Python side to judge:
// - rdsIam.tls(): the default trust holds the RDS bundle;
// - signer.url(): sslrootcert is the core's trust file under %LOCALAPPDATA%\rds-iam (a Windows
//   path, percent-encoded), holding the bundle and no Unix system bundle; a `ca` given as a
//   Windows path comes back as is;
// - a Signer whose profile's credential_process hangs: the fetch gives up after fetchTimeout;
// - BARE_PROJECT (the package without its addon): the loader's error names the package.
// Environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and AWS_CONFIG_FILE with profile `hung`.
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const project = path.resolve(process.argv[2]);
const rdsIam = createRequire(path.join(project, 'package.json'))('rds-iam');

async function main() {
  const out = { node: process.version, platform: process.platform };
  out.tlsHasBundle = rdsIam.tls().ca.includes(rdsIam.caBundle);

  const signer = new rdsIam.Signer({ host: 'db.abc123.us-east-1.rds.amazonaws.com', user: 'app' });
  const url = new URL(await signer.url({ database: 'app' }));
  const file = url.searchParams.get('sslrootcert');
  const text = fs.readFileSync(file, 'utf8');
  out.trustFile = file;
  out.localAppData = process.env.LOCALAPPDATA;
  out.trustHasBundle = text.includes(rdsIam.caBundle.trim());
  out.trustHasUnixRoots = text.includes('# System roots from');
  const given = 'C:\\rds iam check\\my ca.pem';
  out.caKept = new URL(await signer.url({ ca: given })).searchParams.get('sslrootcert') === given;

  const hung = new rdsIam.Signer({
    host: 'db.abc123.us-east-1.rds.amazonaws.com',
    user: 'app',
    profile: 'hung',
    fetchTimeout: 2,
  });
  const start = Date.now();
  try {
    await hung.token();
    out.hung = { resolved: true };
  } catch (e) {
    out.hung = { code: e.code, message: e.message, seconds: (Date.now() - start) / 1000 };
  }
  try {
    createRequire(path.join(path.resolve(process.argv[3]), 'package.json'))('rds-iam');
    out.missingAddon = { loaded: true };
  } catch (e) {
    out.missingAddon = { code: e.code, platform: e.platform, message: e.message };
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.log(JSON.stringify({ error: String(e?.stack) }));
  process.exitCode = 1;
});
