import { readFileSync } from 'node:fs';

/**
 * The one FILE argument of `snapshot save|restore|inspect`, or Consul's error text for a
 * missing or extra argument (`Missing FILE argument`, `Too many arguments (expected 1, got N)`).
 */
export function snapshotFileArg(args: readonly string[]): { file: string } | { error: string } {
  if (args.length === 0) return { error: 'Missing FILE argument' };
  if (args.length > 1) return { error: `Too many arguments (expected 1, got ${args.length})` };
  return { file: args[0]! };
}

/**
 * The snapshot file named by the one FILE argument (`snapshot restore|inspect`), read whole; on
 * a bad argument or an unreadable file, Consul's error text (`Error opening snapshot file: …`).
 */
export function readSnapshotFileArg(args: readonly string[]): { body: Buffer } | { error: string } {
  const arg = snapshotFileArg(args);
  if ('error' in arg) return arg;
  try {
    return { body: readFileSync(arg.file) };
  } catch (e) {
    return { error: `Error opening snapshot file: ${(e as Error).message}` };
  }
}
