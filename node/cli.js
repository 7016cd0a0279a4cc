#!/usr/bin/env node
'use strict';
// `npx rds-iam token --host ... --user ...`: the core's command line.
const { cliMain } = require('./index.js');

process.exitCode = cliMain(['rds-iam', ...process.argv.slice(2)]);
