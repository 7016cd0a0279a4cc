'use strict';
// Packs the npm packages the way they are published (the napi-rs platform-package convention):
//   rds-iam-<platform>-<version>.tgz  one per --addon: node/npm/<platform>/ plus that one .node
//   rds-iam-<version>.tgz             with --main: the JS, types and loader (package.json "files",
//                                     no .node), optionalDependencies on every platform package
// Usage: node scripts/dist/npm-pack.js --out DIR [--main] [--addon PLATFORM=FILE.node ...] [--local]
//   --local: the addon `make node-build` left in node/ for this machine's platform.
// Prints the tarballs' paths, one a line. Fails first when the versions differ (versions.js).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { checkVersions, platformOfTriple, ROOT } = require('./versions.js');

const STAGE = path.join(ROOT, 'target', 'npm-stage');

function parseArgs(argv) {
  const args = { out: null, main: false, addons: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') args.out = path.resolve(argv[++i]);
    else if (a === '--main') args.main = true;
    else if (a === '--addon') {
      const [platform, file] = argv[++i].split('=');
      args.addons.push({ platform, file: path.resolve(file) });
    } else if (a === '--local') args.addons.push({ platform: hostPlatform(), file: null });
    else throw new Error(`npm-pack.js: unknown argument ${a}`);
  }
  if (!args.out) throw new Error('npm-pack.js: --out DIR is required');
  return args;
}

/** This machine's napi platform name (the one `napi build --platform` names its .node after). */
function hostPlatform() {
  const glibc = Boolean(process.report.getReport().header.glibcVersionRuntime);
  const abi =
    process.platform === 'linux'
      ? glibc
        ? '-gnu'
        : '-musl'
      : process.platform === 'win32'
        ? '-msvc'
        : '';
  return `${process.platform}-${process.arch}${abi}`;
}

/** npm pack in `dir` into `out`; returns the tarball's path. */
function pack(dir, out) {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  return path.join(out, name);
}

function fresh(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function packPlatform({ platform, file }, platforms, out) {
  const meta = platforms[platform];
  if (!meta) throw new Error(`npm-pack.js: ${platform} is not a napi target in package.json`);
  const source = file || path.join(ROOT, 'node', meta.main);
  if (!fs.existsSync(source))
    throw new Error(`npm-pack.js: no addon at ${source} (build it first)`);
  const dir = fresh(path.join(STAGE, platform));
  for (const f of ['package.json', 'README.md'])
    fs.copyFileSync(path.join(ROOT, 'node', 'npm', platform, f), path.join(dir, f));
  fs.copyFileSync(path.join(ROOT, 'LICENSE'), path.join(dir, 'LICENSE'));
  fs.copyFileSync(source, path.join(dir, meta.main));
  return pack(dir, out);
}

function packMain(pkg, version, out) {
  const dir = fresh(path.join(STAGE, 'main'));
  // The same file list `npm pack` takes from the source tree ("files" in package.json).
  const [listing] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  );
  for (const { path: rel } of listing.files) {
    if (rel.endsWith('.node'))
      throw new Error(
        `npm-pack.js: the main package would carry ${rel}; .node files belong in the platform packages`,
      );
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(dir, rel));
  }
  // npm shows the package's README.md: the Node guide, not the repository's front page (npm
  // packs the root README.md and LICENSE by itself).
  fs.copyFileSync(path.join(ROOT, 'node', 'README.md'), path.join(dir, 'README.md'));
  // What `napi pre-publish` adds at publish time; not in the source package.json because
  // `npm ci` would then need them on the registry before the first release.
  const published = { ...pkg, optionalDependencies: {} };
  for (const triple of pkg.napi.targets)
    published.optionalDependencies[`${pkg.name}-${platformOfTriple(triple)}`] = version;
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  return pack(dir, out);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const { version, pkg, platforms } = checkVersions();
  fs.mkdirSync(args.out, { recursive: true });
  const tarballs = args.addons.map((a) => packPlatform(a, platforms, args.out));
  if (args.main) tarballs.push(packMain(pkg, version, args.out));
  for (const t of tarballs) console.log(t);
}

main();
