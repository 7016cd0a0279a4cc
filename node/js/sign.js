'use strict';
// `sign(options)`: the native `sign` with a faster way in for plain options objects.
//
// Reading an options object through Node-API means enumerating its keys and looking each one
// up from native code, which cost more than the signature itself (~3 µs of ~5). Here JS checks
// that the options and the credentials objects hold only known keys, and passes the values
// positionally to the native `signFields`, which converts and checks them exactly as `sign`
// does. Anything else (a missing or unknown key, a non-object) goes to the native `sign`,
// which reports it: error messages live in one place.
//
// The known keys come from the native module (the core's option table in camelCase), read
// once at load. The positional call below passes them in that table's order; the tests check
// that every key reaches its own slot.

function onlyKnownKeys(value, known) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const key in value) {
    if (!known.includes(key)) return false;
  }
  return true;
}

function makeSign(native) {
  const keys = native.optionKeys();
  const SIGN_KEYS = keys.sign;
  const CREDENTIAL_KEYS = keys.credentials;
  return function sign(options) {
    const credentials = onlyKnownKeys(options, SIGN_KEYS) ? options.credentials : undefined;
    if (!onlyKnownKeys(credentials, CREDENTIAL_KEYS)) return native.sign(options);
    return native.signFields(
      options.host,
      options.port,
      options.user,
      options.region,
      credentials.accessKeyId,
      credentials.secretAccessKey,
      credentials.sessionToken,
      credentials.expiration,
      options.at,
      options.kind,
      options.expiresIn,
    );
  };
}

module.exports = { makeSign };
