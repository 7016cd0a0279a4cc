'use strict';
// The platform-package layout (issue 13): the loader finds this machine's package, and where no
// build loads it throws an error that names the platform and what to do, never a bare
// MODULE_NOT_FOUND. Platforms are faked in a child process (process.platform/arch redefined
// before the package loads); the missing package is a copy of the installed main package alone.
const { test } = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PROJECT } = require('./helpers.js');

const pkg = JSON.parse(
  fs.readFileSync(path.join(PROJECT, 'node_modules', 'rds-iam', 'package.json'), 'utf8'),
);

/** require('rds-iam') from `project` with the platform/arch faked; the error's fields as JSON. */
function loadWith(project, fake = {}) {
  const script = `
    for (const [k, v] of Object.entries(${JSON.stringify(fake)})) Object.defineProperty(process, k, { value: v });
    try { require('rds-iam'); console.log(JSON.stringify({ loaded: true })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, platform: e.platform, cause: Boolean(e.cause) })); }`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
  assert.strictEqual(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test('the main package lists every platform package at its own version', () => {
  const names = Object.keys(pkg.optionalDependencies).sort();
  assert.deepStrictEqual(
    names,
    [
      'darwin-arm64',
      'darwin-x64',
      'linux-arm64-gnu',
      'linux-arm64-musl',
      'linux-x64-gnu',
      'linux-x64-musl',
      'win32-x64-msvc',
    ].map((p) => `rds-iam-${p}`),
  );
  assert.deepStrictEqual(new Set(Object.values(pkg.optionalDependencies)), new Set([pkg.version]));
  const platform = JSON.parse(
    fs.readFileSync(
      path.join(PROJECT, 'node_modules', `rds-iam-linux-${process.arch}-gnu`, 'package.json'),
      'utf8',
    ),
  );
  assert.deepStrictEqual(
    [platform.os, platform.cpu, platform.libc, platform.version],
    [['linux'], [process.arch], ['glibc'], pkg.version],
  );
});

test('this machine loads its platform package', () => {
  assert.deepStrictEqual(loadWith(PROJECT), { loaded: true });
});

test('a platform without a build: the error names it and the platforms that have one', () => {
  const r = loadWith(PROJECT, { platform: 'freebsd', arch: 'riscv64' });
  assert.strictEqual(r.code, 'NoNativeBuild');
  assert.strictEqual(r.platform, 'freebsd-riscv64');
  assert.match(r.message, /no native build for freebsd-riscv64 \(Node .*, Node-API \d+\)/);
  assert.match(
    r.message,
    /linux-x64-gnu, linux-arm64-gnu, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64, win32-x64-msvc/,
  );
  assert.ok(r.cause, 'the loader error is kept as cause');
});

test('a built platform whose package is not installed: the error names the package to install', () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-iam-no-platform-'));
  try {
    fs.cpSync(
      path.join(PROJECT, 'node_modules', 'rds-iam'),
      path.join(project, 'node_modules', 'rds-iam'),
      { recursive: true },
    );
    const here = loadWith(project);
    assert.strictEqual(here.code, 'NoNativeBuild');
    assert.strictEqual(here.platform, `linux-${process.arch}-gnu`);
    assert.ok(
      here.message.includes(`npm install rds-iam-linux-${process.arch}-gnu@${pkg.version}`),
      here.message,
    );
    assert.match(here.message, /--omit=optional/);
    const arm = loadWith(project, { arch: 'arm64' });
    assert.ok(
      arm.message.includes(`rds-iam-linux-arm64-gnu@${pkg.version} is missing`),
      arm.message,
    );
    // Windows: node.exe is an MSVC build, so the loader asks for the msvc package; the error
    // names it as on Linux (make windows-check sees the same under wine's real node.exe).
    const win = loadWith(project, { platform: 'win32', arch: 'x64' });
    assert.strictEqual(win.code, 'NoNativeBuild');
    assert.strictEqual(win.platform, 'win32-x64-msvc');
    assert.ok(
      win.message.includes(`npm install rds-iam-win32-x64-msvc@${pkg.version}`),
      win.message,
    );
    assert.ok(win.cause, 'the loader error is kept as cause');
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});
