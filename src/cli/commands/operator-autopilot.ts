import type { AutopilotConfiguration, AutopilotState } from '../../../contracts/services/operator-service.js';
import { formatGoDuration, parseGoDuration } from '../../config/go-duration.js';
import type { Command } from '../command.js';
import { parseGoBool } from '../flag-parser.js';
import { requireOk, type HttpClient } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';
import { parseUint64Flag } from './uint64-flag.js';

/** Consul's `operator autopilot get-config` lines (command/operator/autopilot/get). */
export function autopilotConfigLines(c: AutopilotConfiguration): string {
  return [
    `CleanupDeadServers = ${String(c.CleanupDeadServers)}`,
    `LastContactThreshold = ${c.LastContactThreshold}`,
    `MaxTrailingLogs = ${c.MaxTrailingLogs}`,
    `MinQuorum = ${c.MinQuorum}`,
    `ServerStabilizationTime = ${c.ServerStabilizationTime}`,
    `RedundancyZoneTag = ${JSON.stringify(c.RedundancyZoneTag)}`,
    `DisableUpgradeMigration = ${String(c.DisableUpgradeMigration)}`,
    `UpgradeVersionTag = ${JSON.stringify(c.UpgradeVersionTag)}`,
  ].join('\n');
}

/** Consul's pretty `operator autopilot state` text (command/operator/autopilot/state/formatter.go). */
export function autopilotStateText(s: AutopilotState): string {
  const out: string[] = [
    `Healthy:                      ${String(s.Healthy)}`,
    `Failure Tolerance:            ${s.FailureTolerance}`,
    `Optimistic Failure Tolerance: ${s.OptimisticFailureTolerance}`,
    `Leader:                       ${s.Leader}`,
    'Voters:',
    ...s.Voters.map((v) => `   ${v}`),
    'Servers:',
  ];
  for (const id of Object.keys(s.Servers).sort()) {
    const srv = s.Servers[id]!;
    out.push(
      `   ${srv.ID}`,
      `      Name:            ${srv.Name}`,
      `      Address:         ${srv.Address}`,
      `      Version:         ${srv.Version}`,
      `      Status:          ${srv.Status}`,
      `      Node Type:       ${srv.NodeType}`,
      `      Node Status:     ${srv.NodeStatus}`,
      `      Healthy:         ${String(srv.Healthy)}`,
      `      Last Contact:    ${srv.LastContact}`,
      `      Last Term:       ${srv.LastTerm}`,
      `      Last Index:      ${srv.LastIndex}`,
    );
    if (srv.ReadReplica) out.push(`      Read Replica:    ${String(srv.ReadReplica)}`);
    const meta = Object.keys(srv.Meta ?? {}).sort();
    if (meta.length > 0) {
      out.push('      Meta');
      for (const k of meta) out.push(`         ${JSON.stringify(k)}: ${JSON.stringify(srv.Meta[k])}`);
    }
  }
  return out.join('\n') + '\n';
}

/** GET /v1/operator/autopilot/configuration, parsed. */
async function fetchConfig(client: HttpClient): Promise<AutopilotConfiguration> {
  const res = requireOk(await client.request('GET', '/v1/operator/autopilot/configuration'));
  return JSON.parse(res.body.toString('utf8')) as AutopilotConfiguration;
}

/** `sextant operator autopilot get-config` — Consul's command. */
export const operatorAutopilotGetConfigCommand: Command = defineHttpCommand({
  name: 'operator autopilot get-config',
  synopsis: 'Display the current Autopilot configuration',
  usage: '[options]',
  description: '  Displays the current Autopilot configuration.',
  flags: [],
  async run({ client, out, err }) {
    let config: AutopilotConfiguration;
    try {
      config = await fetchConfig(client);
    } catch (e) {
      err(`Error querying Autopilot configuration: ${(e as Error).message}`);
      return 1;
    }
    out(autopilotConfigLines(config));
    return 0;
  },
});

/**
 * `sextant operator autopilot set-config [-cleanup-dead-servers=true|false] [-last-contact-threshold=200ms]
 * [-max-trailing-logs=N] [-min-quorum=N] [-server-stabilization-time=10s]` — Consul's command: reads
 * the configuration, changes the flags given, writes it back with a check-and-set on its ModifyIndex.
 */
export const operatorAutopilotSetConfigCommand: Command = defineHttpCommand({
  name: 'operator autopilot set-config',
  synopsis: 'Modify the current Autopilot configuration',
  usage: '[options]',
  description: '  Modifies the current Autopilot configuration.',
  flags: [
    { name: 'cleanup-dead-servers', kind: 'string', usage: 'Controls whether Sextant will automatically remove dead servers when new ones are successfully added. Must be one of `true|false`.' },
    { name: 'max-trailing-logs', kind: 'string', usage: 'Controls the maximum number of log entries that a server can trail the leader by before being considered unhealthy.' },
    { name: 'min-quorum', kind: 'string', usage: 'Sets the minimum number of servers required in a cluster before autopilot is allowed to prune dead servers.' },
    { name: 'last-contact-threshold', kind: 'string', usage: 'Controls the maximum amount of time a server can go without contact from the leader before being considered unhealthy. Must be a duration value such as `200ms`.' },
    { name: 'server-stabilization-time', kind: 'string', usage: "Controls the minimum amount of time a server must be stable in the 'healthy' state before being added to the cluster. Must be a duration value such as `10s`." },
    { name: 'redundancy-zone-tag', kind: 'string', usage: '(Enterprise-only) Controls the node_meta tag name used for separating servers into different redundancy zones.' },
    { name: 'disable-upgrade-migration', kind: 'string', usage: '(Enterprise-only) Controls whether Sextant will avoid promoting new servers until it can perform a migration. Must be one of `true|false`.' },
    { name: 'upgrade-version-tag', kind: 'string', usage: '(Enterprise-only) The node_meta tag to use for version info when performing upgrade migrations. If left blank, the Sextant version will be used.' },
  ],
  async run({ flags, client, out, err }) {
    const set = flags.set;
    const raw = (name: string): string => String(flags.values[name] ?? '');
    const bad = (name: string, why: string): number => {
      err(`Failed to parse args: invalid value ${JSON.stringify(raw(name))} for flag -${name}: ${why}`);
      return 1;
    };
    // Flag values first (Go's flag.Parse fails before any request).
    let cleanup: boolean | undefined;
    if (set.has('cleanup-dead-servers')) {
      cleanup = parseGoBool(raw('cleanup-dead-servers'));
      if (cleanup === undefined) return bad('cleanup-dead-servers', 'parse error');
    }
    const uints: Record<string, number | undefined> = {};
    for (const name of ['max-trailing-logs', 'min-quorum']) {
      if (!set.has(name)) continue;
      const n = parseUint64Flag(raw(name));
      if (n === null || n >= 1n << 32n) return bad(name, 'parse error');
      uints[name] = Number(n);
    }
    const durations: Record<string, number | undefined> = {};
    for (const name of ['last-contact-threshold', 'server-stabilization-time']) {
      if (!set.has(name)) continue;
      try {
        durations[name] = Number(parseGoDuration(raw(name))) / 1_000_000;
      } catch {
        return bad(name, 'parse error');
      }
    }
    let conf: AutopilotConfiguration;
    try {
      conf = await fetchConfig(client);
    } catch (e) {
      err(`Error querying Autopilot configuration: ${(e as Error).message}`);
      return 1;
    }
    const ms = (v: number): string => formatGoDuration(BigInt(Math.round(v * 1_000_000)));
    const next: AutopilotConfiguration = {
      ...conf,
      ...(cleanup !== undefined ? { CleanupDeadServers: cleanup } : {}),
      ...(uints['max-trailing-logs'] !== undefined ? { MaxTrailingLogs: uints['max-trailing-logs'] } : {}),
      ...(uints['min-quorum'] !== undefined ? { MinQuorum: uints['min-quorum'] } : {}),
      ...(durations['last-contact-threshold'] !== undefined ? { LastContactThreshold: ms(durations['last-contact-threshold']) } : {}),
      ...(durations['server-stabilization-time'] !== undefined ? { ServerStabilizationTime: ms(durations['server-stabilization-time']) } : {}),
    };
    let stored: boolean;
    try {
      const res = requireOk(await client.request('PUT', '/v1/operator/autopilot/configuration', {
        query: { cas: String(conf.ModifyIndex) },
        body: Buffer.from(JSON.stringify(next)),
      }));
      stored = res.body.toString('utf8').includes('true');
    } catch (e) {
      err(`Error setting Autopilot configuration: ${(e as Error).message}`);
      return 1;
    }
    if (stored) {
      out('Configuration updated!');
      return 0;
    }
    out('Configuration could not be atomically updated, please try again');
    return 1;
  },
});

/** `sextant operator autopilot state [-format=pretty|json]` — Consul's command. */
export const operatorAutopilotStateCommand: Command = defineHttpCommand({
  name: 'operator autopilot state',
  synopsis: 'Display the current Autopilot state',
  usage: '[options]',
  description: '  Displays the current Autopilot state.',
  flags: [{ name: 'format', kind: 'string', default: 'pretty', usage: 'Output format {pretty|json}' }],
  async run({ flags, client, out, err }) {
    let state: AutopilotState;
    try {
      const res = requireOk(await client.request('GET', '/v1/operator/autopilot/state'));
      state = JSON.parse(res.body.toString('utf8')) as AutopilotState;
    } catch (e) {
      err(`Error querying Autopilot state: ${(e as Error).message}`);
      return 1;
    }
    const format = String(flags.values['format'] ?? 'pretty');
    if (format === 'pretty') out(autopilotStateText(state));
    else if (format === 'json') out(JSON.stringify(state, null, 4));
    else {
      err(`Unknown format: ${format}`);
      return 1;
    }
    return 0;
  },
});
