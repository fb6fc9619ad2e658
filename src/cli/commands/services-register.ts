import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';
import { serviceNameOf, servicesFromFiles } from './service-files.js';

/** `sextant services register [options] [FILE...]` — Consul's `services register`. */
export const servicesRegisterCommand: Command = defineHttpCommand({
  name: 'services register',
  synopsis: 'Register services with the local agent',
  usage: '[options] [FILE...]',
  description: `  Register one or more services using the local agent API. Services can
  be registered from standard Sextant (Consul-format) configuration files
  or using CLI flags. The service is registered and the command returns.
  The caller must remember to call "sextant services deregister" or a
  similar API to deregister the service when complete.

      $ sextant services register web.json

  Additional flags and more advanced use cases are detailed below.`,
  flags: [
    { name: 'address', kind: 'string', usage: 'Address of the service to register for arg-based registration.' },
    { name: 'id', kind: 'string', usage: 'ID of the service to register for arg-based registration. If this isn\'t set, it will default to the -name value.' },
    { name: 'meta', kind: 'list', usage: 'Metadata to set on the service, formatted as key=value. This flag may be specified multiple times to set multiple meta fields.' },
    { name: 'name', kind: 'string', usage: 'Name of the service to register for arg-based registration.' },
    { name: 'port', kind: 'int', default: 0, usage: 'Port of the service to register for arg-based registration.' },
    { name: 'tag', kind: 'list', usage: 'Tag to add to the service. This flag can be specified multiple times to set multiple tags.' },
  ],
  async run({ flags, args, client, out, err }) {
    const v = flags.values;
    const name = String(v['name'] ?? '');
    let defs: Record<string, unknown>[];
    if (args.length > 0) {
      if (name !== '') {
        err('Service registration requires either a file or flags, not both.');
        return 1;
      }
      try {
        defs = await servicesFromFiles(args);
      } catch (e) {
        err((e as Error).message);
        return 1;
      }
    } else {
      if (name === '') {
        err('Service registration requires at least one argument or flags.');
        return 1;
      }
      const meta: Record<string, string> = {};
      for (const m of (v['meta'] as readonly string[]) ?? []) {
        const eq = m.indexOf('=');
        if (eq < 0) meta[m] = '';
        else meta[m.slice(0, eq)] = m.slice(eq + 1);
      }
      const def: Record<string, unknown> = { Name: name, Tags: [...((v['tag'] as readonly string[]) ?? [])], Meta: meta, Port: Number(v['port'] ?? 0) };
      if (v['id']) def['ID'] = String(v['id']);
      if (v['address']) def['Address'] = String(v['address']);
      defs = [def];
    }
    for (const def of defs) {
      try {
        requireOk(await client.request('PUT', '/v1/agent/service/register', { body: Buffer.from(JSON.stringify(def), 'utf8') }));
      } catch (e) {
        err(`Error registering service ${JSON.stringify(serviceNameOf(def))}: ${(e as Error).message}`);
        return 1;
      }
      out(`Registered service: ${serviceNameOf(def)}`);
    }
    return 0;
  },
});
