import type { Command } from '../../src/cli/command.js';

/** What a CLI command run in-process wrote and returned. */
export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in-process with `args`, the environment `env` and, when given, `stdin` as its input; collects its output. */
export async function runCommand(cmd: Command, args: readonly string[], env: Record<string, string>, stdin?: string): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const code = await cmd.run([...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {
      if (stdin !== undefined) yield Buffer.from(stdin);
    })(),
    env,
  });
  return { code, stdout, stderr };
}
