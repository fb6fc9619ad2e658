import type { Clock } from '../../../contracts/platform.js';
import { SystemClock } from '../../platform/system-clock.js';
import { TextLogger } from '../../platform/text-logger.js';
import { httpWatchFetch } from '../../watch/watch-http-fetch.js';
import { WatchPlan } from '../../watch/watch-plan.js';
import { goJson, parseWatchParams } from '../../watch/watch-types.js';
import type { Command } from '../command.js';
import { parseGoBool } from '../flag-parser.js';
import { HttpClient, requireOk } from '../http-client.js';
import { EventLoopHold } from '../lock/event-loop-hold.js';
import { processShutdownSignals } from '../lock/shutdown-signals.js';
import type { ShutdownSignals } from '../lock/shutdown-signals.js';
import { exitText, runScriptHandler } from '../../watch/watch-handler.js';
import { defineHttpCommand } from './http-command.js';

/** What `sextant watch` needs besides its I/O. */
export interface WatchCommandDeps {
  readonly clock: Clock;
  /** SIGINT / SIGTERM end a watch that runs a handler (exit 0). */
  readonly signals: ShutdownSignals;
  /** Backoff base after a failed read (Consul's 5 s; tests shorten it). */
  readonly retryBaseMs?: number;
}

const DESCRIPTION = `  Watches for changes in a given data view from Sextant. If a child process
  is specified, it will be invoked with the latest results on changes. Otherwise,
  the latest values are dumped to stdout and the watch terminates.

  Providing the watch type is required, and other parameters may be required
  or supported depending on the watch type.`;

/**
 * `sextant watch [options] [child...]` — Consul's `consul watch`. Without a child it prints the
 * first result (Go's MarshalIndent, four spaces) and exits 0; with one it runs the child (through
 * $SHELL -c unless -shell=false) with the JSON on stdin and CONSUL_INDEX set, on the first result
 * and on every change, until SIGINT/SIGTERM. Unlike Consul (which stops at the first failing
 * child, exit 1), a failing child is reported and the watch goes on.
 */
export function createWatchCommand(deps: WatchCommandDeps): Command {
  return defineHttpCommand({
    name: 'watch',
    synopsis: 'Watch for changes in Sextant',
    usage: '[options] [child...]',
    description: DESCRIPTION,
    flags: [
      { name: 'type', kind: 'string', usage: 'Specifies the watch type. One of key, keyprefix, services, nodes, service, checks, or event.' },
      { name: 'key', kind: 'string', usage: "Specifies the key to watch. Only for 'key' type." },
      { name: 'prefix', kind: 'string', usage: "Specifies the key prefix to watch. Only for 'keyprefix' type." },
      { name: 'service', kind: 'string', usage: "Specifies the service to watch. Required for 'service' type, optional for 'checks' type." },
      { name: 'tag', kind: 'string', usage: "Specifies the service tag to filter on. Optional for 'service' type." },
      {
        name: 'passingonly',
        kind: 'string',
        usage: "Specifies if only hosts passing all checks are displayed. Optional for 'service' type, must be one of `[true|false]`. Defaults false.",
      },
      { name: 'shell', kind: 'bool', default: true, usage: 'Use a shell to run the command (can set a custom shell via the SHELL environment variable).' },
      { name: 'state', kind: 'string', usage: "Specifies the states to watch. Optional for 'checks' type." },
      { name: 'name', kind: 'string', usage: "Specifies an event name to watch. Only for 'event' type." },
    ],
    async run({ flags, args, client, io, out, err }) {
      const v = flags.values;
      const s = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '');
      if (s('type') === '') {
        err('Watch type must be specified');
        err('');
        err(createWatchCommand(deps).help());
        return 1;
      }
      const params: Record<string, unknown> = { type: s('type') };
      if (client.options.datacenter) params['datacenter'] = client.options.datacenter;
      for (const k of ['key', 'prefix', 'service', 'tag', 'state', 'name']) if (s(k) !== '') params[k] = s(k);
      if (client.options.stale) params['stale'] = true;
      if (s('passingonly') !== '') {
        const b = parseGoBool(s('passingonly'));
        if (b === undefined) {
          err(`Failed to parse passingonly flag: strconv.ParseBool: parsing ${JSON.stringify(s('passingonly'))}: invalid syntax`);
          return 1;
        }
        params['passingonly'] = b;
      }
      let spec;
      try {
        spec = parseWatchParams(params);
      } catch (e) {
        err((e as Error).message);
        return 1;
      }
      // The spec carries dc and stale itself; the token stays on the client.
      const api = new HttpClient({ addr: client.options.addr, ...(client.options.token ? { token: client.options.token } : {}) });
      try {
        requireOk(await api.request('GET', '/v1/agent/self'));
      } catch (e) {
        err(`Error querying Sextant agent: ${(e as Error).message}`);
        return 1;
      }
      const logger = TextLogger.create({
        level: 'info',
        clock: deps.clock,
        name: 'watch',
        sink: (line) => io.stderr.write(line.endsWith('\n') ? line : `${line}\n`),
      });
      const shell = v['shell'] !== false;
      const plan: WatchPlan = new WatchPlan({
        type: spec.type,
        fetch: httpWatchFetch(api, spec),
        orderedIndex: spec.type !== 'event',
        clock: deps.clock,
        logger,
        ...(deps.retryBaseMs !== undefined ? { retryBaseMs: deps.retryBaseMs } : {}),
        handler:
          args.length === 0
            ? (_index, data) => {
                plan.stop();
                out(goJson(data, '    '));
              }
            : async (index, data) => {
                try {
                  const r = await runScriptHandler(
                    { ...(shell ? { shell: args.join(' ') } : { args }), env: io.env, output: 'inherit', logger },
                    index,
                    data,
                  );
                  if (r.code !== 0) err(`Error executing handler: ${exitText(r)}`);
                } catch (e) {
                  err(`Error starting handler: ${(e as Error).message}`);
                }
              },
      });
      const hold = new EventLoopHold();
      const unsubscribe = deps.signals.subscribe(() => plan.stop());
      try {
        await plan.run();
      } finally {
        unsubscribe();
        hold.release();
      }
      return 0;
    },
  });
}

/** `sextant watch` with the system clock and the process's signals. */
export const watchCommand: Command = createWatchCommand({ clock: new SystemClock(), signals: processShutdownSignals });
