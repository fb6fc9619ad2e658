import type { Command } from '../command.js';
import { UnexpectedResponseError } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/**
 * `sextant monitor [-log-level l] [-log-json]` — Consul's `monitor`: streams the agent's log
 * lines from /v1/agent/monitor until interrupted (exit 0 on SIGINT/SIGTERM) or until the agent
 * ends the stream (`Remote side ended the monitor!…`, exit 1).
 */
export const monitorCommand: Command = defineHttpCommand({
  name: 'monitor',
  synopsis: 'Stream logs from a Sextant agent',
  usage: '[options]',
  description: `  Shows recent log messages of a Sextant agent, and attaches to the agent,
  outputting log messages as they occur in real time. The monitor lets you
  listen for log levels that may be filtered out of the Sextant agent. For
  example your agent may only be logging at INFO level, but with the monitor
  you can see the DEBUG level logs.`,
  flags: [
    { name: 'log-level', kind: 'string', default: 'INFO', usage: 'Log level of the agent.' },
    { name: 'log-json', kind: 'bool', usage: 'Output logs in JSON format.' },
  ],
  async run({ flags, client, out, err }) {
    const ac = new AbortController();
    const onSignal = (): void => ac.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let partial = '';
    try {
      const res = await client.request('GET', '/v1/agent/monitor', {
        query: { loglevel: flags.values['log-level'] as string, logjson: flags.values['log-json'] === true },
        signal: ac.signal,
        stream: (chunk) => {
          const lines = (partial + chunk.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line !== '') out(line);
        },
      });
      if (res.status < 200 || res.status >= 300) {
        err(`Error starting monitor: ${new UnexpectedResponseError(res.status, res.body.toString('utf8')).message}`);
        return 1;
      }
      if (partial !== '') out(partial);
      err('Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.');
      return 1;
    } catch (e) {
      if (ac.signal.aborted) return 0;
      err(`Error starting monitor: ${(e as Error).message}`);
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
