import type { AgentCheckView } from '../../../contracts/services/local-agent-service.js';
import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** `sextant maint` — Consul's `maint`: list, enable or disable node/service maintenance mode. */
export const maintCommand: Command = defineHttpCommand({
  name: 'maint',
  synopsis: 'Controls node or service maintenance mode',
  usage: '[options]',
  description: `  Places a node or service into maintenance mode. During maintenance mode,
  the node or service will be excluded from all queries through the DNS
  or API interfaces, effectively taking it out of the pool of available
  nodes. This is done by registering an additional critical health check.

  When enabling maintenance mode for a node or service, you may optionally
  specify a reason string. This string will appear in the "Notes" field
  of the critical health check which is registered against the node or
  service. If no reason is provided, a default value will be used.

  Maintenance mode is persistent, and will be restored in the event of an
  agent restart. It is therefore required to disable maintenance mode on
  a given node or service before it will be placed back into the pool.

  By default, we operate on the node as a whole. By specifying the
  "-service" argument, this behavior can be changed to enable or disable
  only a specific service.

  If no arguments are given, the agent's maintenance status will be shown.
  This will return blank if nothing is currently under maintenance.`,
  flags: [
    { name: 'enable', kind: 'bool', usage: 'Enable maintenance mode.' },
    { name: 'disable', kind: 'bool', usage: 'Disable maintenance mode.' },
    { name: 'reason', kind: 'string', usage: 'Text describing the maintenance reason.' },
    { name: 'service', kind: 'string', usage: 'Control maintenance mode for a specific service ID.' },
  ],
  async run({ flags, client, out, err }) {
    const v = flags.values;
    const enable = v['enable'] === true;
    const disable = v['disable'] === true;
    const reason = String(v['reason'] ?? '');
    const serviceId = String(v['service'] ?? '');
    if (enable && disable) {
      err('Only one of -enable or -disable may be provided');
      return 1;
    }
    if (!enable && reason !== '') {
      err('Reason may only be provided with -enable');
      return 1;
    }
    if (!enable && !disable && serviceId !== '') {
      err('Service requires either -enable or -disable');
      return 1;
    }

    if (!enable && !disable) {
      let nodeName: string;
      let checks: Record<string, AgentCheckView>;
      try {
        const self = JSON.parse(requireOk(await client.request('GET', '/v1/agent/self')).body.toString('utf8')) as { Config?: { NodeName?: string } };
        nodeName = self.Config?.NodeName ?? '';
        checks = JSON.parse(requireOk(await client.request('GET', '/v1/agent/checks')).body.toString('utf8')) as Record<string, AgentCheckView>;
      } catch (e) {
        err(`Error getting checks: ${(e as Error).message}`);
        return 1;
      }
      const all = Object.values(checks);
      const node = all.find((c) => c.CheckID === '_node_maintenance');
      if (node) {
        out('Node:');
        out(`  Name:   ${nodeName}`);
        out(`  Reason: ${node.Notes}`);
        out('');
      }
      for (const c of all.filter((x) => x.CheckID.startsWith('_service_maintenance:')).sort((a, b) => (a.ServiceID < b.ServiceID ? -1 : 1))) {
        out('Service:');
        out(`  ID:     ${c.ServiceID}`);
        out(`  Reason: ${c.Notes}`);
        out('');
      }
      return 0;
    }

    const what = serviceId === '' ? 'node' : 'service';
    const path = serviceId === '' ? '/v1/agent/maintenance' : `/v1/agent/service/maintenance/${encodeURIComponent(serviceId)}`;
    const query = { enable: enable ? 'true' : 'false', ...(enable && reason !== '' ? { reason } : {}) };
    try {
      requireOk(await client.request('PUT', path, { query }));
    } catch (e) {
      err(`Error ${enable ? 'enabling' : 'disabling'} ${what} maintenance: ${(e as Error).message}`);
      return 1;
    }
    if (serviceId === '') out(enable ? 'Node entered maintenance mode' : 'Node left maintenance mode');
    else out(`Service ${enable ? 'entered' : 'left'} maintenance mode: ${serviceId}`);
    return 0;
  },
});
