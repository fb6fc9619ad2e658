import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant event` — Consul's `event`: fires a user event into the datacenter's pool. */
export const eventCommand: Command = defineHttpCommand({
  name: 'event',
  synopsis: 'Fire a new event',
  usage: '[options] [payload]',
  description: `  Dispatches a custom user event across a datacenter. An event must provide
  a name, but a payload is optional. Events support filtering using
  regular expressions on node name, service, and tag definitions.`,
  flags: [
    { name: 'name', kind: 'string', usage: 'Name of the event.' },
    { name: 'node', kind: 'string', usage: 'Regular expression to filter on node names.' },
    { name: 'service', kind: 'string', usage: 'Regular expression to filter on service instances.' },
    { name: 'tag', kind: 'string', usage: 'Regular expression to filter on service tags. Must be used with -service.' },
  ],
  async run({ flags, args, client, out, err }) {
    const v = flags.values;
    const name = String(v['name'] ?? '');
    const filters = { node: String(v['node'] ?? ''), service: String(v['service'] ?? ''), tag: String(v['tag'] ?? '') };
    if (name === '') {
      err('Event name must be specified');
      err('');
      err(eventCommand.help().trimEnd());
      return 1;
    }
    for (const [what, expr] of Object.entries(filters)) {
      if (!expr) continue;
      try {
        new RegExp(expr);
      } catch (e) {
        err(`Failed to compile ${what} filter regexp: ${(e as Error).message}`);
        return 1;
      }
    }
    if (filters.tag && !filters.service) {
      err('Cannot provide tag filter without service filter.');
      return 1;
    }
    if (args.length > 1) {
      err('Too many command line arguments.');
      err('');
      err(eventCommand.help().trimEnd());
      return 1;
    }
    try {
      requireOk(await client.request('GET', '/v1/agent/self'));
    } catch (e) {
      err(`Error querying Consul agent: ${(e as Error).message}`);
      return 1;
    }
    const query: Record<string, string> = {};
    for (const [k, expr] of Object.entries(filters)) if (expr) query[k] = expr;
    try {
      const res = requireOk(
        await client.request('PUT', `/v1/event/fire/${encodeURIComponent(name)}`, {
          query,
          ...(args.length === 1 ? { body: new TextEncoder().encode(args[0]) } : {}),
        }),
      );
      out(`Event ID: ${(JSON.parse(res.body.toString('utf8')) as { ID: string }).ID}`);
      return 0;
    } catch (e) {
      err(`Error firing event: ${(e as Error).message}`);
      return 1;
    }
  },
});
