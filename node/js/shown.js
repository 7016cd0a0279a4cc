'use strict';
// What our objects show when printed: never a token or a secret. `console.log(info)`,
// `util.inspect` and `JSON.stringify` of a token info show `token: '<redacted>'` while
// `info.token` stays readable (a non-enumerable own property, so `{ ...info }` and
// `Object.entries` leave it out too); a Signer shows where its tokens are for. Also the
// Signer's JavaScript-side wrappers: `url({ caFile })` (the old name of `ca`) warns.
const util = require('node:util');
const { deprecated } = require('./deprecate.js');

const REDACTED = '<redacted>';

/** A token and what a caller may want to know about it; the token never prints. */
class TokenInfo {
  /** @param {{ token: string, expiresAt: Date, signedAt: Date, fromCache: boolean, accessKeyId: string }} raw */
  constructor(raw) {
    Object.defineProperty(this, 'token', { value: raw.token, enumerable: false });
    this.expiresAt = raw.expiresAt;
    this.signedAt = raw.signedAt;
    this.fromCache = raw.fromCache;
    this.accessKeyId = raw.accessKeyId;
  }

  /** `JSON.stringify`: the fields, with the token redacted. */
  toJSON() {
    return { token: REDACTED, ...this };
  }

  /** `util.inspect` / `console.log`: the fields, with the token redacted. */
  [util.inspect.custom](_depth, options, inspect) {
    return `TokenInfo ${(inspect ?? util.inspect)({ token: REDACTED, ...this }, options)}`;
  }
}

/** The native token info as a TokenInfo (a plain object from the addon). */
const toTokenInfo = (raw) => new TokenInfo(raw);

/**
 * Puts the printing rules on the native Signer: `util.inspect` shows host, port, user, region,
 * kind (and signHost when it differs), as Python's repr does; `tokenInfo()` /
 * `tokenInfoSync()` return TokenInfo objects; `url({ caFile })` warns (its new name is `ca`).
 */
function dressSigner(Signer) {
  const proto = Signer.prototype;
  const nativeInfo = proto.tokenInfo;
  const nativeInfoSync = proto.tokenInfoSync;
  Object.defineProperty(proto, 'tokenInfo', {
    value: function tokenInfo() {
      return nativeInfo.call(this).then(toTokenInfo);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(proto, 'tokenInfoSync', {
    value: function tokenInfoSync() {
      return toTokenInfo(nativeInfoSync.call(this));
    },
    writable: true,
    configurable: true,
  });
  const nativeUrl = proto.url;
  Object.defineProperty(proto, 'url', {
    value: function url(options) {
      if (options && typeof options === 'object' && options.caFile !== undefined)
        deprecated('url({ caFile })', 'pass the CA file path as `ca`');
      return nativeUrl.call(this, options);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(proto, util.inspect.custom, {
    value: function inspectSigner(_depth, options, inspect) {
      let fields;
      try {
        fields = this.toJSON();
      } catch {
        return 'Signer <not a signer>';
      }
      const { host, port, user, region, kind, signHost } = fields;
      const shown = { host, port };
      if (user !== undefined) shown.user = user;
      Object.assign(shown, { region, kind });
      if (signHost !== host) shown.signHost = signHost;
      return `Signer ${(inspect ?? util.inspect)(shown, options)}`;
    },
    configurable: true,
  });
}

/**
 * The proxy handle: `util.inspect` shows what its `toJSON()` shows (url, host, port, sessions),
 * and `await using p = await rdsIam.proxy(...)` closes it (`Symbol.asyncDispose`).
 */
function dressLocalProxy(LocalProxy) {
  const proto = LocalProxy.prototype;
  Object.defineProperty(proto, util.inspect.custom, {
    value: function inspectProxy(_depth, options, inspect) {
      let fields;
      try {
        fields = this.toJSON();
      } catch {
        return 'LocalProxy <not a proxy>';
      }
      return `LocalProxy ${(inspect ?? util.inspect)(fields, options)}`;
    },
    configurable: true,
  });
  if (typeof Symbol.asyncDispose === 'symbol') {
    Object.defineProperty(proto, Symbol.asyncDispose, {
      value: function asyncDispose() {
        return this.close();
      },
      writable: true,
      configurable: true,
    });
  }
}

module.exports = { TokenInfo, dressSigner, dressLocalProxy, REDACTED };
