/**
 * The one FILE argument of `snapshot save|restore|inspect`, or Consul's error text for a
 * missing or extra argument (`Missing FILE argument`, `Too many arguments (expected 1, got N)`).
 */
export function snapshotFileArg(args: readonly string[]): { file: string } | { error: string } {
  if (args.length === 0) return { error: 'Missing FILE argument' };
  if (args.length > 1) return { error: `Too many arguments (expected 1, got ${args.length})` };
  return { file: args[0]! };
}
