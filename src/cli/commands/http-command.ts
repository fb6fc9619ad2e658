import { isSextantError } from '../../../contracts/errors.js';
import type { Command, CommandIo } from '../command.js';
import { println } from '../command.js';
import { FlagSet } from '../flag-parser.js';
import type { FlagSpec, ParsedFlags } from '../flag-parser.js';
import { HTTP_FLAGS, HttpClient, clientOptionsFrom } from '../http-client.js';

/** What an HTTP-backed command's body gets. */
export interface HttpCommandContext {
  readonly flags: ParsedFlags;
  /** Positional arguments after the flags. */
  readonly args: readonly string[];
  readonly client: HttpClient;
  readonly io: CommandIo;
  /** Writes a line to stdout (Ui.Info / Ui.Output). */
  out(text: string): void;
  /** Writes a line to stderr (Ui.Error). */
  err(text: string): void;
}

export interface HttpCommandSpec {
  readonly name: string;
  readonly synopsis: string;
  /** The text after `Usage: sextant <name> ` e.g. `[options] KEY [DATA]`. */
  readonly usage: string;
  /** The help paragraph(s), already indented two spaces per line as Consul's help is. */
  readonly description: string;
  /** The command's own flags (the common HTTP API flags are added). */
  readonly flags: readonly FlagSpec[];
  /** Whether the command talks to the agent (adds the HTTP API flags). Default true. */
  readonly http?: boolean;
  readonly run: (c: HttpCommandContext) => Promise<number>;
}

/**
 * Builds a Command in Consul's style: Go-flag parsing (a flag error prints the error and the
 * help to stderr, exit 1; `-h` prints the help, exit 0), the common HTTP API flags, and a
 * client for the agent. An exception from `run` prints `Error: <message>` and exits 1.
 */
export function defineHttpCommand(spec: HttpCommandSpec): Command {
  const withHttp = spec.http ?? true;
  const set = new FlagSet(spec.name, [...(withHttp ? HTTP_FLAGS : []), ...spec.flags]);
  const help = (): string => {
    let h = `Usage: sextant ${spec.name} ${spec.usage}\n\n${spec.description.replace(/\n+$/, '')}\n`;
    if (withHttp) h += `\nHTTP API Options\n\n${new FlagSet(spec.name, HTTP_FLAGS).defaultsText()}`;
    if (spec.flags.length > 0) h += `\nCommand Options\n\n${new FlagSet(spec.name, spec.flags).defaultsText()}`;
    return h;
  };
  return {
    name: spec.name,
    synopsis: spec.synopsis,
    help,
    async run(argv, io) {
      let flags: ParsedFlags;
      try {
        flags = set.parse(argv);
      } catch (e) {
        io.stderr.write(`${(e as Error).message}\n${help()}`);
        return 1;
      }
      if (flags.help) {
        io.stderr.write(help());
        return 0;
      }
      const client = new HttpClient(clientOptionsFrom(flags, io.env));
      try {
        return await spec.run({
          flags,
          args: flags.args,
          client,
          io,
          out: (t) => println(io.stdout, t),
          err: (t) => println(io.stderr, t),
        });
      } catch (e) {
        println(io.stderr, `Error: ${isSextantError(e) || e instanceof Error ? e.message : String(e)}`);
        return 1;
      }
    },
  };
}
