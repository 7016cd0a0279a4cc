'use strict';
// One version everywhere: the Cargo workspace, package.json, every npm platform package and the
// generated loader's version check must agree, and every napi target must have its platform
// package folder (node/npm/<platform>). Throws naming each difference; used by npm-pack.js,
// so `make node-pack` and `make dist` fail on a mismatch. `node scripts/dist/versions.js` prints.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

/** The `version` of [workspace.package] in the root Cargo.toml. */
function cargoVersion() {
  const text = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const section = text.split(/^\[workspace\.package\]\s*$/m)[1] || '';
  const m = section.split(/^\[/m)[0].match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error('Cargo.toml: no version in [workspace.package]');
  return m[1];
}

/** napi-rs's platform name of a Rust target triple (x86_64-unknown-linux-gnu -> linux-x64-gnu). */
function platformOfTriple(triple) {
  const [cpu, , os, abi] = triple.split('-');
  const arch = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }[cpu] || cpu;
  if (os === 'darwin') return `darwin-${arch}`;
  if (os === 'windows') return `win32-${arch}-${abi}`;
  return `${os}-${arch}-${abi}`;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Checks the versions; returns { version, pkg, platforms: { name: packageJson } }. */
function checkVersions() {
  const pkg = readJson(path.join(ROOT, 'package.json'));
  const version = cargoVersion();
  const problems = [];
  if (pkg.version !== version)
    problems.push(`package.json has ${pkg.version}, Cargo.toml ${version}`);
  const npmDir = path.join(ROOT, 'node', 'npm');
  const platforms = {};
  const wanted = pkg.napi.targets.map(platformOfTriple);
  for (const name of fs.readdirSync(npmDir)) {
    if (!wanted.includes(name))
      problems.push(`node/npm/${name} is not a napi target in package.json`);
  }
  for (const name of wanted) {
    const file = path.join(npmDir, name, 'package.json');
    if (!fs.existsSync(file)) {
      problems.push(`node/npm/${name}/package.json is missing (run \`npm run npm-dirs\`)`);
      continue;
    }
    const p = readJson(file);
    platforms[name] = p;
    if (p.name !== `${pkg.name}-${name}`) problems.push(`node/npm/${name} is named ${p.name}`);
    if (p.version !== version) problems.push(`${p.name} has ${p.version}, Cargo.toml ${version}`);
  }
  const loader = fs.readFileSync(path.join(ROOT, 'node', 'binding.js'), 'utf8');
  for (const m of loader.matchAll(/bindingPackageVersion !== '([^']+)'/g)) {
    if (m[1] !== version) {
      problems.push(
        `node/binding.js checks for ${m[1]}, Cargo.toml has ${version} (make node-build)`,
      );
      break;
    }
  }
  if (problems.length) {
    throw new Error(`versions differ:\n  ${problems.join('\n  ')}`);
  }
  return { version, pkg, platforms };
}

module.exports = { checkVersions, platformOfTriple, ROOT };

if (require.main === module) {
  const { version, platforms } = checkVersions();
  console.log(
    `versions: ${version} in Cargo.toml, package.json, node/binding.js and ${Object.keys(platforms).length} platform packages`,
  );
}
