'use strict';
// Preloaded (`node --require`) into `make node-test`'s run (secrets-scan's input): records what the
// rds-iam package SHOWS — every error its functions, constructor and methods throw or reject with
// (message, stack, code, util.inspect, JSON.stringify), util.inspect/JSON.stringify of every
// Signer made, of every token info (`tokenInfo()` / `tokenInfoSync()`), proxy handle and helper
// result (driver settings, cache providers) the package entry returns, and what each captured
// child process printed (spawnSync / execFileSync: the CLI) — appending to $SECRETS_NODE_OUT
// (default target/secrets/node-shown.txt). Inputs are not recorded.
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const Module = require('node:module');
const cp = require('node:child_process');

const OUT =
  process.env.SECRETS_NODE_OUT || path.join(__dirname, '../../target/secrets/node-shown.txt');
fs.mkdirSync(path.dirname(OUT), { recursive: true });
const write = (kind, text) => fs.appendFileSync(OUT, `=== node ${kind}\n${text}\n`);
const safe = (f) => {
  try {
    return f();
  } catch (e) {
    return `<failed: ${e?.message}>`;
  }
};

function recordError(where, e) {
  if (!e || typeof e !== 'object') return write(`error (${where})`, String(e));
  write(
    `error ${e.code || e.name} (${where})`,
    [
      `message: ${e.message}`,
      `stack: ${e.stack}`,
      `code: ${e.code}`,
      `inspect: ${safe(() => util.inspect(e, { depth: 4, showHidden: true }))}`,
      `json: ${safe(() => JSON.stringify(e))}`,
      `string: ${safe(() => String(e))}`,
    ].join('\n'),
  );
}

// Each distinct print once; long arrays (the CA list in TLS options) cut short, strings long
// enough for a whole token.
const seen = new Set();
const SHOW = { showHidden: true, depth: 6, maxArrayLength: 5, maxStringLength: 4000 };
function recordObject(kind, s) {
  const text = `inspect: ${safe(() => util.inspect(s, SHOW))}\njson: ${safe(() => JSON.stringify(s, (k, v) => (k === 'ca' ? '<ca>' : v)))}\nstring: ${safe(() => String(s))}`;
  if (seen.has(text)) return;
  seen.add(text);
  write(`object ${kind}`, text);
}
const recordSigner = (s) => recordObject('Signer', s);

/** `f` with its result (or the Promise's value) recorded as shown. */
function recording(kind, f) {
  return function recorded(...args) {
    const r = f.apply(this, args);
    if (r && typeof r.then === 'function')
      r.then(
        (v) => recordObject(kind, v),
        () => {},
      );
    else recordObject(kind, r);
    return r;
  };
}

// The package entry's own layer (main.js): token infos, proxy handles and helper results.
const RESULTS = ['proxy', 'pg', 'postgres', 'mysql2', 'sequelize', 'redis', 'stats'];
function wrapEntry(exp) {
  if (!exp || wrapped.has(exp) || typeof exp.Signer !== 'function') return exp;
  wrapped.add(exp);
  const proto = exp.Signer.prototype;
  for (const name of ['tokenInfo', 'tokenInfoSync']) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d && typeof d.value === 'function' && (d.writable || d.configurable))
      Object.defineProperty(proto, name, {
        ...d,
        value: recording(`TokenInfo (${name})`, d.value),
      });
  }
  for (const k of RESULTS) {
    const d = Object.getOwnPropertyDescriptor(exp, k);
    if (d && typeof d.value === 'function' && (d.writable || d.configurable))
      Object.defineProperty(exp, k, { ...d, value: recording(`${k}()`, d.value) });
  }
  return exp;
}

function guard(where, f) {
  return function guarded(...args) {
    let r;
    try {
      r = f.apply(this, args);
    } catch (e) {
      recordError(where, e);
      throw e;
    }
    if (r && typeof r.then === 'function') r.then(undefined, (e) => recordError(where, e));
    return r;
  };
}

const wrapped = new WeakSet();
function wrapPackage(exp) {
  if (!exp || wrapped.has(exp) || typeof exp.Signer !== 'function') return exp;
  wrapped.add(exp);
  const proto = exp.Signer.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (name !== 'constructor' && typeof d.value === 'function' && (d.writable || d.configurable)) {
      Object.defineProperty(proto, name, { ...d, value: guard(`Signer.${name}`, d.value) });
    }
  }
  const Real = exp.Signer;
  const Signer = new Proxy(Real, {
    construct(target, args, newTarget) {
      let s;
      try {
        s = Reflect.construct(target, args, newTarget === Signer ? target : newTarget);
      } catch (e) {
        recordError('new Signer', e);
        throw e;
      }
      recordSigner(s);
      return s;
    },
  });
  const patch = { Signer };
  for (const k of ['sign', 'cliMain', 'stats', 'clearCaches'])
    if (typeof exp[k] === 'function') patch[k] = guard(k, exp[k]);
  for (const [k, v] of Object.entries(patch)) {
    const d = Object.getOwnPropertyDescriptor(exp, k);
    if (d && (d.writable || d.configurable)) Object.defineProperty(exp, k, { ...d, value: v });
    else
      write(
        'hook',
        `cannot wrap export ${k} (read-only): its errors are seen only through the probe`,
      );
  }
  return exp;
}

const load = Module._load;
Module._load = function (...args) {
  const [request, parent, isMain] = args;
  const exp = load.apply(this, args);
  const file = safe(() => Module._resolveFilename(request, parent, isMain));
  if (typeof file === 'string' && /[\\/]rds-iam[\\/](node[\\/])?index\.js$/.test(file))
    return wrapPackage(exp);
  if (typeof file === 'string' && /[\\/]rds-iam[\\/]node[\\/]main\.js$/.test(file))
    return wrapEntry(exp);
  return exp;
};

// argv is input (it may carry secrets): only the program's name and the CLI command label it.
const label = (file, args) => [path.basename(String(file)), ...(args || []).slice(0, 1)].join(' ');
function recordChild(file, args, r) {
  for (const name of ['stdout', 'stderr']) {
    const data = r?.[name];
    if (data?.length) write(`subprocess ${name} argv=${label(file, args)}`, String(data));
  }
}
const { spawnSync, execFileSync } = cp;
cp.spawnSync = function (...argv) {
  const [file, args] = argv;
  const r = spawnSync.apply(this, argv);
  recordChild(file, Array.isArray(args) ? args : [], r);
  return r;
};
cp.execFileSync = function (...argv) {
  const [file, args] = argv;
  try {
    const out = execFileSync.apply(this, argv);
    recordChild(file, Array.isArray(args) ? args : [], { stdout: out });
    return out;
  } catch (e) {
    recordChild(file, Array.isArray(args) ? args : [], e);
    throw e;
  }
};
