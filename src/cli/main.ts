import type { Command, CommandIo } from './command.js';
import { println, processIo } from './command.js';
import { agentCommand } from './commands/agent.js';
import { HTTP_CLIENT_COMMANDS } from './commands/index.js';
import { validateCommand } from './commands/validate.js';

/** Every `sextant` command, by name (multi-word names like `kv get` included). */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [agentCommand, validateCommand, ...HTTP_CLIENT_COMMANDS].map((c) => [c.name, c]),
);

/**
 * Consul's top-level commands Sextant does not have yet: they answer that plainly instead of
 * "Unknown command" (a name goes from here when its command lands). `watch`, `monitor` and
 * `info` are left off: they land with issue 12.
 */
export const NOT_YET_COMMANDS: readonly string[] = [
  'acl', 'config', 'connect', 'debug', 'exec', 'intention', 'login',
  'logout', 'peering', 'resource', 'tls', 'troubleshoot',
];

/**
 * Consul's subcommands of commands Sextant has in part (`operator raft list-peers|remove-peer`
 * exist): they answer "not implemented" too, not "Unknown command".
 */
export const NOT_YET_SUBCOMMANDS: readonly string[] = [
  'operator area', 'operator segment', 'operator usage', 'operator utilization',
];

/** The command list for a prefix ('' for the top level, 'kv' for `sextant kv`), as mitchellh/cli prints it. */
function listing(prefix: string): string {
  const words = prefix ? prefix.split(' ').length : 0;
  const rows = new Map<string, string>();
  for (const c of COMMANDS.values()) {
    const parts = c.name.split(' ');
    if (prefix && !c.name.startsWith(`${prefix} `)) continue;
    const head = parts.slice(0, words + 1).join(' ').slice(prefix ? prefix.length + 1 : 0);
    rows.set(head, parts.length > words + 1 ? `Interact with the ${parts.slice(0, words + 1).join(' ')} commands` : c.synopsis);
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length));
  const lines = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `    ${k.padEnd(width)}    ${v}`);
  return `Usage: sextant ${prefix ? `${prefix} ` : ''}<command> [args]\n\nAvailable commands are:\n${lines.join('\n')}`;
}

/**
 * Dispatches `sextant <command> [args]`: the longest command name matching the leading words
 * wins (`kv get` before `kv`). Resolves with the process exit code.
 */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  if (argv[0] === '-v' || argv[0] === '--version' || argv[0] === '-version') argv = ['version'];
  for (let n = Math.min(argv.length, 3); n >= 1; n--) {
    const cmd = COMMANDS.get(argv.slice(0, n).join(' '));
    if (cmd) return cmd.run(argv.slice(n), io);
  }
  if (argv[0] && NOT_YET_COMMANDS.includes(argv[0]) && !COMMANDS.has(argv[0])) {
    println(io.stderr, `sextant ${argv[0]}: not implemented yet in Sextant (Consul has it; \`sextant -help\` lists what Sextant runs)`);
    return 1;
  }
  const sub = NOT_YET_SUBCOMMANDS.find((n) => argv.slice(0, n.split(' ').length).join(' ') === n);
  if (sub) {
    println(io.stderr, `sextant ${sub}: not implemented yet in Sextant (Consul has it; \`sextant -help\` lists what Sextant runs)`);
    return 1;
  }
  const prefix = argv[0] && [...COMMANDS.keys()].some((k) => k.startsWith(`${argv[0]} `)) ? argv[0] : '';
  const helpAsked = argv.length === 0 || ['-h', '-help', '--help'].includes(argv[prefix ? 1 : 0] ?? '-h');
  if (!helpAsked) println(io.stderr, `Unknown command: sextant ${argv.join(' ')}\n`);
  println(helpAsked ? io.stdout : io.stderr, listing(prefix));
  return helpAsked ? 0 : 1;
}
