/**
 * ryanuber/columnize's SimpleFormat as Consul's CLI uses it: cells separated by `\x1f` (or `|`
 * in Consul's callers, here always `\x1f`), columns left-aligned to the widest cell, glued with
 * two spaces; the last column is not padded.
 */
export function columnize(lines: readonly string[], delim = '\x1f'): string {
  const rows = lines.map((l) => l.split(delim));
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ').trimEnd())
    .join('\n');
}
