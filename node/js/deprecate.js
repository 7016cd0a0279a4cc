'use strict';
// Old spellings that keep working for one minor release (CHANGELOG.md): each warns once per
// process with a DeprecationWarning that names the new spelling.
const warned = new Set();

/** Warns once that `old` is deprecated, saying what to use instead. */
function deprecated(old, instead) {
  if (warned.has(old)) return;
  warned.add(old);
  process.emitWarning(
    `rds-iam: ${old} is deprecated and goes in the next minor release; ${instead}`,
    { type: 'DeprecationWarning', code: 'RdsIamDeprecated' },
  );
}

module.exports = { deprecated };
