/**
 * The shape of a `sextant` subcommand, in the style of mitchellh/cli (which Consul uses):
 * a name (words separated by spaces, e.g. `kv get`), a one-line synopsis for the command list,
 * and `run`, which returns the process exit code.
 */

/** Where a command writes text (process.stdout / process.stderr satisfy it). */
export interface TextSink {
  write(text: string): unknown;
}

/** A command's I/O: streams and environment, injectable for tests. */
export interface CommandIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Read only by commands that take `-` as data (kv put, kv import). */
  readonly stdin: AsyncIterable<Uint8Array | string>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  /** E.g. `kv get`, `members`. */
  readonly name: string;
  /** One line, shown in `sextant` / `sextant kv` command lists. */
  readonly synopsis: string;
  /** Full help text (`-h`), flags included. */
  help(): string;
  /** Runs with the arguments after the command name; resolves with the exit code (0 ok, 1 error). Never throws. */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** Commands by name (e.g. `kv get`), as a dispatcher looks them up. */
export type CommandRegistry = ReadonlyMap<string, Command>;

/** The process's own I/O. */
export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Writes `text` plus a newline (mitchellh/cli's Ui.Output / Ui.Info / Ui.Error). */
export function println(sink: TextSink, text: string): void {
  sink.write(text + '\n');
}

/** Reads stdin to the end as bytes. */
export async function readAll(stdin: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
  return Buffer.concat(chunks);
}
