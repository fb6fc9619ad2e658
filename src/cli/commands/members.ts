import type { Member } from '../../../contracts/services/agent-service.js';
import type { Command } from '../command.js';
import { requireOk } from '../http-client.js';
import { columnize } from './columnize.js';
import { defineHttpCommand } from './http-command.js';

const STATUS = ['none', 'alive', 'leaving', 'left', 'failed'];

/** serf's MemberStatus.String(). */
export function memberStatus(n: number): string {
  return STATUS[n] ?? 'unknown';
}

function addr(m: Member): string {
  return m.Addr.includes(':') ? `[${m.Addr}]:${m.Port}` : `${m.Addr}:${m.Port}`;
}

/** Consul's standard `members` table: Node Address Status Type Build Protocol DC Partition Segment. */
export function standardMembersTable(members: readonly Member[]): string {
  const lines = ['Node\x1fAddress\x1fStatus\x1fType\x1fBuild\x1fProtocol\x1fDC\x1fPartition\x1fSegment'];
  for (const m of members) {
    const t = m.Tags ?? {};
    let build = t['build'] ?? '';
    if (build === '') build = '< 0.3';
    else if (build.includes(':')) build = build.slice(0, build.indexOf(':'));
    const partition = t['ap'] || 'default';
    const status = memberStatus(m.Status);
    const role = t['role'];
    if (role === 'node' || role === 'consul') {
      const server = role === 'consul';
      const segment = t['segment'] || (server ? '<all>' : '<default>');
      lines.push([m.Name, addr(m), status, server ? 'server' : 'client', build, t['vsn'] ?? '', t['dc'] ?? '', partition, segment].join('\x1f'));
    } else {
      lines.push([m.Name, addr(m), status, 'unknown', '', '', '', '', ''].join('\x1f'));
    }
  }
  return columnize(lines);
}

/** Consul's `members -detailed` table: Node Address Status Tags (sorted `k=v` pairs). */
export function detailedMembersTable(members: readonly Member[]): string {
  const lines = ['Node\x1fAddress\x1fStatus\x1fTags'];
  for (const m of members) {
    const tags = Object.keys(m.Tags ?? {})
      .sort()
      .map((k) => `${k}=${m.Tags[k]}`)
      .join(',');
    lines.push([m.Name, addr(m), memberStatus(m.Status), tags].join('\x1f'));
  }
  return columnize(lines);
}

/** `sextant members [options]` — Consul's `members`. */
export const membersCommand: Command = defineHttpCommand({
  name: 'members',
  synopsis: 'Lists the members of a Sextant cluster',
  usage: '[options]',
  description: `  Outputs the members of a running Sextant agent.`,
  flags: [
    { name: 'detailed', kind: 'bool', usage: 'Provides detailed information about nodes.' },
    { name: 'segment', kind: 'string', usage: '(Enterprise-only) Segment to list members for; ignored.' },
    { name: 'status', kind: 'string', default: '.*', usage: 'If provided, output is filtered to only nodes matching the regular expression for status.' },
    { name: 'wan', kind: 'bool', usage: 'If the agent is in server mode, this can be used to return the other peers in the WAN pool.' },
  ],
  async run({ flags, client, out, err }) {
    let statusRe: RegExp;
    try {
      statusRe = new RegExp(flags.values['status'] as string);
    } catch (e) {
      err(`Failed to compile status regexp: ${(e as Error).message}`);
      return 1;
    }
    let members: Member[];
    try {
      const res = requireOk(await client.request('GET', '/v1/agent/members', { query: { wan: flags.values['wan'] === true ? 1 : undefined } }));
      members = JSON.parse(res.body.toString('utf8')) as Member[];
    } catch (e) {
      err(`Error retrieving members: ${(e as Error).message}`);
      return 1;
    }
    members = members.filter((m) => statusRe.test(memberStatus(m.Status)));
    if (members.length === 0) return 2;
    members.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    out(flags.values['detailed'] === true ? detailedMembersTable(members) : standardMembersTable(members));
    return 0;
  },
});
