'use strict';
// `node node/test/setup-types.js DIR`: a tsconfig in the temp project DIR that type-checks
// node/test/types.ts (copied there as types.ts and types.mts: CommonJS and ESM consumers)
// against the installed package, with the drivers' and Node's types from the repo.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
const repo = path.resolve(__dirname, '../..');
const src = fs.readFileSync(path.join(__dirname, 'types.ts'), 'utf8');
fs.writeFileSync(path.join(dir, 'types.ts'), src);
fs.writeFileSync(path.join(dir, 'types.mts'), src);
// ESM only: the default export main.mjs has (declared by main.d.mts).
fs.copyFileSync(path.join(__dirname, 'types-default.mts'), path.join(dir, 'types-default.mts'));
const modules = path.join(repo, 'node_modules');
const tsconfig = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    typeRoots: [path.join(modules, '@types')],
    // the drivers' own types (pg's come from @types/pg), from the repo's dev dependencies
    paths: {
      ...Object.fromEntries(
        [
          'postgres',
          'mysql2',
          'mysql2/promise',
          'knex',
          'sequelize',
          'typeorm',
          '@prisma/adapter-pg',
          'redis',
          'ioredis',
        ].map((m) => [m, [path.join(modules, m)]]),
      ),
      pg: [path.join(modules, '@types', 'pg')],
    },
  },
  files: ['types.ts', 'types.mts', 'types-default.mts'],
};
fs.writeFileSync(path.join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
