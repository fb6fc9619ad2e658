/**
 * Go's unicode.IsPrint, negated: any rune that is not a letter, mark, number, punctuation,
 * symbol or the ASCII space. Consul wraps its whole HTTP mux in go-cleanhttp's
 * PrintablePathCheckHandler, which answers 400 (empty body) for a decoded URL path holding
 * such a rune (a `%0a` in a KV key, a tab, a NUL, U+00A0), unless
 * `disable_http_unprintable_char_filter` is set.
 */
const UNPRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** True when the decoded URL path contains a rune Go's unicode.IsPrint rejects. */
export function hasUnprintable(decodedPath: string): boolean {
  return UNPRINTABLE.test(decodedPath);
}
