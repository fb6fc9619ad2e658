import fc from 'fast-check';

/** Leaf values a JSON encoder must print as Go's does: strings with Go-escaped and tricky characters, uint64 bigints, numbers, booleans, null. */
export const goJsonLeaf = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', '<', '>', '&', '\u2028', '\u2029', '"', '\\', '\n', 'é', '\u{1F600}', '\ud800') }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
