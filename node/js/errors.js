'use strict';
// The error hierarchy: `RdsIamError` and one subclass per code, so `instanceof` and `.code`
// both work. The core's codes (ERROR_CODES) come from the native module; the native errors are
// made here, through the factory main.js hands the addon (`.provider` set for credential
// provider failures). `NoNativeBuild` is the loader's own (index.js: no addon to ask).
// Pure JavaScript, with no native dependency: index.js uses it before the addon loads.

/** The base class of every error rds-iam throws. */
class RdsIamError extends Error {
  /**
   * @param {string} message what went wrong and what to do next (never a secret)
   * @param {{ code?: string, provider?: string, cause?: unknown }} [options]
   */
  constructor(message, options = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    /** The stable code: the class's name (`NoCredentials`, `InvalidArgument`, …). */
    this.code = options.code ?? new.target.code;
    /** The credential provider that failed (`ProviderError`, `CredentialsExpired`, `Timeout`). */
    this.provider = options.provider ?? undefined;
  }
}
Object.defineProperty(RdsIamError.prototype, 'name', {
  value: 'RdsIamError',
  writable: true,
  configurable: true,
});
RdsIamError.code = 'RdsIamError';

/** The core's codes, each with a class (the tests check the list equals core/src/error.rs). */
const CORE_CODES = [
  'NoCredentials',
  'CredentialsExpired',
  'NoRegion',
  'InvalidEndpoint',
  'InvalidArgument',
  'ProviderError',
  'Timeout',
];

/** A subclass of RdsIamError named `code` (its `name` and static `code` are the code). */
function subclass(code) {
  const cls = { [code]: class extends RdsIamError {} }[code];
  Object.defineProperty(cls.prototype, 'name', { value: code, writable: true, configurable: true });
  cls.code = code;
  return cls;
}

const classes = Object.fromEntries(CORE_CODES.map((c) => [c, subclass(c)]));
/** No native build loads on this platform (thrown by `require('rds-iam')` itself). */
classes.NoNativeBuild = subclass('NoNativeBuild');

/** The class of `code`: one of the above, or a new subclass for a code this file predates. */
function classFor(code) {
  if (!Object.hasOwn(classes, code)) classes[code] = subclass(code);
  return classes[code];
}

/**
 * The error for a core error (the addon's factory, called with one array
 * `[code, message, provider]`): an instance of its code's class.
 */
function fromNative([code, message, provider]) {
  const Class = classFor(code);
  return new Class(message, { code, provider: provider ?? undefined });
}

/** An `InvalidArgument` (the JavaScript helpers' own checks). */
function invalidArgument(message) {
  return new classes.InvalidArgument(message);
}

module.exports = { RdsIamError, classes, classFor, CORE_CODES, fromNative, invalidArgument };
