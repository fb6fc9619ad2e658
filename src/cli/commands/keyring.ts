import type { Command } from '../command.js';
import type { HttpClient, QueryValues } from '../http-client.js';
import { requireOk } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** One pool's answer as /v1/operator/keyring lists it (the fields `keyring -list` prints). */
interface KeyringResponse {
  WAN?: boolean;
  Datacenter?: string;
  Segment?: string;
  Partition?: string;
  Messages?: Record<string, string> | null;
  Keys?: Record<string, number> | null;
  NumNodes?: number;
}

/** Consul's formatResponse: a blank line, `dc1 (LAN):`, each member's message, then `  <key> [n/total]` per key. */
export function formatKeyringResponse(r: KeyringResponse): string {
  let pool = r.WAN ? 'WAN' : `${r.Datacenter ?? ''} (LAN)`;
  if (r.Segment) pool += ` [${r.Segment}]`;
  else if (r.Partition && r.Partition !== 'default') pool += ` [partition: ${r.Partition}]`;
  const lines = ['', `${pool}:`];
  for (const [from, msg] of Object.entries(r.Messages ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`  ===> ${from}: ${msg}`);
  for (const key of Object.keys(r.Keys ?? {}).sort()) lines.push(`  ${key} [${r.Keys![key]}/${r.NumNodes ?? 0}]`);
  return lines.join('\n');
}

const KEY_FLAGS = [
  ['install', 'POST', 'Installing new gossip encryption key...'],
  ['use', 'PUT', 'Changing primary gossip encryption key...'],
  ['remove', 'DELETE', 'Removing gossip encryption key...'],
] as const;

async function keyringWrite(client: HttpClient, method: 'POST' | 'PUT' | 'DELETE', key: string, query: QueryValues): Promise<void> {
  requireOk(await client.request(method, '/v1/operator/keyring', { query, body: Buffer.from(JSON.stringify({ Key: key })) }));
}

/** `sextant keyring -list|-install|-use|-remove KEY [-relay-factor N] [-local-only]` — Consul's `keyring`. */
export const keyringCommand: Command = defineHttpCommand({
  name: 'keyring',
  synopsis: 'Manages gossip layer encryption keys',
  usage: '[options]',
  description: `  Manages encryption keys used for gossip messages. Gossip encryption is
  optional. When enabled, this command may be used to examine active encryption
  keys in the cluster, add new keys, and remove old ones. When combined, this
  functionality provides the ability to perform key rotation cluster-wide,
  without disrupting the cluster.

  All operations performed by this command can only be run against server nodes,
  and affect both the LAN and WAN keyrings in lock-step.

  All variations of the keyring command return 0 if all nodes reply and there
  are no errors. If any node fails to reply or reports failure, the exit code
  will be 1.`,
  flags: [
    { name: 'install', kind: 'string', usage: 'Install a new encryption key. This will broadcast the new key to all members in the cluster.' },
    { name: 'list', kind: 'bool', usage: 'List all keys currently in use within the cluster.' },
    { name: 'local-only', kind: 'bool', usage: 'Setting this to true will force the keyring query to only hit local servers (no WAN traffic). This flag can only be set for list queries.' },
    { name: 'relay-factor', kind: 'int', usage: 'Setting this to a non-zero value will cause nodes to relay their response to the operation through this many randomly-chosen other nodes in the cluster. The maximum allowed value is 5.' },
    { name: 'remove', kind: 'string', usage: 'Remove the given key from the cluster. This operation may only be performed on keys which are not currently the primary key.' },
    { name: 'use', kind: 'string', usage: 'Change the primary encryption key, which is used to encrypt messages. The key must already be installed before this operation can succeed.' },
  ],
  async run({ flags, client, out, err }) {
    const v = flags.values;
    const list = v['list'] === true;
    // Only one action, and at least one (Consul prints its help to stderr otherwise).
    let found = list;
    for (const [name] of KEY_FLAGS) {
      const arg = String(v[name] ?? '');
      if (found && arg.length > 0) {
        err('Only a single action is allowed');
        return 1;
      }
      found ||= arg.length > 0;
    }
    if (!found) {
      err(keyringCommand.help().trimEnd());
      return 1;
    }
    const relay = Number(v['relay-factor'] ?? 0);
    if (relay < 0 || relay > 5) {
      err('Error parsing relay factor: Relay factor must be in range: [0, 5]');
      return 1;
    }
    const localOnly = v['local-only'] === true;
    if (localOnly && !list) {
      err('Error validating local-only: local-only can only be set for list requests');
      return 1;
    }
    const query: QueryValues = { 'relay-factor': relay !== 0 ? relay : undefined };
    const info = (t: string): void => out(`==> ${t}`);
    if (list) {
      info('Gathering installed encryption keys...');
      let responses: KeyringResponse[];
      try {
        const res = requireOk(await client.request('GET', '/v1/operator/keyring', { query: { ...query, 'local-only': localOnly ? 'true' : undefined } }));
        responses = JSON.parse(res.body.toString('utf8')) as KeyringResponse[];
      } catch (e) {
        err(`error: ${(e as Error).message}`);
        return 1;
      }
      for (const r of responses) out(formatKeyringResponse(r));
      return 0;
    }
    for (const [name, method, what] of KEY_FLAGS) {
      const key = String(v[name] ?? '');
      if (key === '') continue;
      info(what);
      try {
        await keyringWrite(client, method, key, query);
      } catch (e) {
        err(`error: ${(e as Error).message}`);
        return 1;
      }
      return 0;
    }
    return 0;
  },
});
