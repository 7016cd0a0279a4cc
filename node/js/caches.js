'use strict';
// Cache client hooks (ElastiCache / MemoryDB IAM auth): node-redis's credentialsProvider, and
// ioredis / iovalkey clients whose password is the signer's token at every (re)connect. Both
// also re-AUTH live connections on a timer, because ElastiCache and MemoryDB close an
// IAM-authenticated connection 12 hours after its last AUTH. Timers are unref'd (they never keep
// the process alive) and stop when the client closes. Tokens come from the native Signer.
const path = require('node:path');
const { invalidArgument: invalid } = require('./errors.js');

/** Seconds between re-AUTHs of live connections: 10 hours, inside the 12-hour cut. */
const DEFAULT_REFRESH_EVERY = 36000;

function checkSigner(signer, helper) {
  if (signer === null || typeof signer !== 'object' || typeof signer.token !== 'function') {
    throw invalid(`invalid argument \`signer\`: rdsIam.${helper}() takes a Signer`);
  }
}

/** `refreshEvery` in seconds, checked; returned in milliseconds. */
function refreshMs(options, helper) {
  const every = options.refreshEvery ?? DEFAULT_REFRESH_EVERY;
  if (typeof every !== 'number' || !(every > 0) || !Number.isFinite(every)) {
    throw invalid(
      `invalid argument \`refreshEvery\` for rdsIam.${helper}(): seconds above 0 (got ${String(every)}); ` +
        'keep it under 43200 (12 hours), when ElastiCache / MemoryDB cut IAM connections',
    );
  }
  return Math.max(1, Math.round(every * 1000));
}

/** A driver package from the application (its working directory first), with a helpful error. */
function load(name, helper) {
  let resolved;
  try {
    resolved = require.resolve(name, {
      paths: [process.cwd(), path.dirname(require.main?.filename ?? process.cwd()), __dirname],
    });
  } catch {
    throw invalid(`rdsIam.${helper}() needs the \`${name}\` package: npm install ${name}`);
  }
  return require(resolved);
}

function makeCacheHooks(tls) {
  /**
   * node-redis ≥ 5: `createClient({ url, credentialsProvider: rdsIam.redis(signer) })`.
   * Streaming (default): every handshake gets the signer's token, and every `refreshEvery`
   * seconds live connections get a fresh one (node-redis re-AUTHs them). `{ streaming: false }`
   * gives the plain async provider (a token per handshake only).
   */
  function redis(signer, options = {}) {
    checkSigner(signer, 'redis');
    const every = refreshMs(options, 'redis');
    const credentials = async () => ({ username: signer.user, password: await signer.token() });
    if (options.streaming === false) {
      return { type: 'async-credentials-provider', credentials };
    }
    const listeners = new Set();
    let timer = null;
    const tick = async () => {
      if (listeners.size === 0) return;
      let next;
      try {
        next = await credentials();
      } catch (err) {
        for (const l of listeners) l.onError(err);
        return;
      }
      for (const l of listeners) l.onNext(next);
    };
    return {
      type: 'streaming-credentials-provider',
      async subscribe(listener) {
        const first = await credentials();
        listeners.add(listener);
        if (timer === null) {
          timer = setInterval(tick, every);
          timer.unref();
        }
        const dispose = () => {
          listeners.delete(listener);
          if (listeners.size === 0 && timer !== null) {
            clearInterval(timer);
            timer = null;
          }
        };
        return [first, { dispose }];
      },
      onReAuthenticationError(err) {
        if (typeof options.onReAuthenticationError === 'function')
          options.onReAuthenticationError(err);
      },
      /** Live subscriptions (one per connected client handshake); for tests and diagnostics. */
      get subscriptions() {
        return listeners.size;
      },
    };
  }

  /** ioredis and iovalkey share one API. */
  function ioClient(pkg, helper, signer, options) {
    checkSigner(signer, helper);
    const every = refreshMs(options, helper);
    const { refreshEvery: _e, ca, caPem, verify, servername, ...rest } = options;
    const Redis = load(pkg, helper);
    const settings = {
      host: signer.host,
      port: signer.port,
      ...rest,
      username: signer.user,
      // Read from `current` at every (re)connect (below); never printed with the options.
      password: undefined,
      lazyConnect: true,
    };
    if (rest.tls === undefined) settings.tls = tls({ ca, caPem, verify, servername });
    const client = new Redis(settings);
    // ioredis reads `options.password` synchronously at every (re)connect. The token is fetched
    // ahead, asynchronously (a credential refresh never blocks the event loop): before the first
    // connect, and on 'reconnecting' (during ioredis's retry delay). The read takes that token
    // while it has a minute left; only a read with none at hand (a command sent before the
    // first token arrived, a zero retry delay) falls back to `tokenSync()`.
    let current;
    const fetchToken = () =>
      signer.tokenInfo().then((info) => {
        current = info;
        return info;
      });
    Object.defineProperty(client.options, 'password', {
      get: () =>
        current && current.expiresAt.getTime() - Date.now() > 60_000
          ? current.token
          : signer.tokenSync(),
      set: () => {},
      enumerable: false,
      configurable: true,
    });
    client.on('reconnecting', () => {
      fetchToken().catch(() => {});
    });
    if (rest.lazyConnect !== true) {
      fetchToken().then(
        () => {
          if (client.status === 'wait') client.connect().catch(() => {});
        },
        (err) => {
          if (client.listenerCount('error') > 0) client.emit('error', err);
        },
      );
    }
    let timer = null;
    const reauth = async () => {
      if (client.status !== 'ready') return;
      try {
        await client.auth(signer.user, await signer.token());
      } catch (err) {
        if (client.listenerCount('error') > 0) client.emit('error', err);
      }
    };
    const start = () => {
      if (timer !== null) return;
      timer = setInterval(reauth, every);
      timer.unref();
    };
    client.on('ready', start);
    client.on('end', () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    });
    return client;
  }

  /**
   * `rdsIam.ioredis(signer, { host, port, ... })`: a new ioredis client logging in as
   * `signer.user` with the signer's token at every (re)connect, re-AUTHing every `refreshEvery`
   * seconds, with verifying TLS (`rdsIam.tls()`; `ca` / `verify` / `servername`) unless `tls`.
   */
  function ioredis(signer, options = {}) {
    return ioClient('ioredis', 'ioredis', signer, options);
  }

  /** `rdsIam.iovalkey(signer, options)`: `rdsIam.ioredis()` for iovalkey (the Valkey fork). */
  function iovalkey(signer, options = {}) {
    return ioClient('iovalkey', 'iovalkey', signer, options);
  }

  return { redis, ioredis, iovalkey };
}

module.exports = { makeCacheHooks, DEFAULT_REFRESH_EVERY };
