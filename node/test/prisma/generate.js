'use strict';
// `prisma generate` for the tests, offline. Prisma 7's client has no Rust engine (the query
// compiler is WASM, shipped in the package), but the CLI still makes sure the schema engine
// binary is present before `generate` and downloads it from binaries.prisma.sh if not, though
// generate never runs it. PRISMA_SCHEMA_ENGINE_BINARY pointing at an existing (empty) file
// satisfies that check; `migrate` / `db push` would need the real engine, so the tests create
// their table with raw SQL.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '../../..');
const SCHEMA = path.join(__dirname, 'schema.prisma');
const OUTPUT = path.join(REPO, 'target', 'prisma-client');

/** Generates the client into target/prisma-client and returns that module. */
function generatePrismaClient() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rds-iam-prisma-'));
  const placeholder = path.join(dir, 'schema-engine-unused');
  fs.writeFileSync(placeholder, '');
  try {
    execFileSync(
      process.execPath,
      [
        path.join(REPO, 'node_modules', 'prisma', 'build', 'index.js'),
        'generate',
        '--schema',
        SCHEMA,
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
          CHECKPOINT_DISABLE: '1', // no version check / telemetry call
        },
      },
    );
  } catch (err) {
    throw new Error(`prisma generate failed: ${err.stderr || err.message}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return require(OUTPUT);
}

module.exports = { generatePrismaClient, OUTPUT };
