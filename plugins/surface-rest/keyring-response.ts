/**
 * Consul's answers to `/v1/operator/keyring` from the pool's KeyringResult (serf's KeyResponse).
 *
 * The list body is `[]*structs.KeyringResponse` as Go's encoding/json writes it: one entry per
 * pool (Sextant has the LAN pool only; Consul CE's LAN entry has an empty Segment and no
 * Partition), fields in struct order (WAN, Datacenter, Segment, Partition?, Messages?, Keys,
 * PrimaryKeys, NumNodes, Error?), map keys sorted, `omitempty` fields left out when empty.
 * The Error string is serf's keyManager's (`N/M nodes reported failure`, else `N/M nodes reported
 * success` when not every member answered); when any pool has one, Consul answers every keyring
 * operation, list included, with an error instead (agent/operator_endpoint.go keyringErrorsOrNil):
 * see {@link keyringErrorText}.
 */
import type { KeyringResult } from '../../contracts/model/keyring.js';

/** One entry of Consul's keyring list answer (structs.KeyringResponse, as JSON). */
export interface KeyringResponseJson {
  WAN: boolean;
  Datacenter: string;
  Segment: string;
  /** Consul Enterprise's admin partition; absent (omitempty) in Consul CE and here. */
  Partition?: string;
  /** Error messages by node name; absent when there are none (omitempty). */
  Messages?: Record<string, string>;
  /** Base64 key → how many members hold it. */
  Keys: Record<string, number>;
  /** Base64 key → how many members use it as primary. */
  PrimaryKeys: Record<string, number>;
  NumNodes: number;
  /** serf's error for the pool; absent when the operation succeeded everywhere (omitempty). */
  Error?: string;
}

function sorted<V>(m: Record<string, V>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/**
 * serf's keyManager error for a pool-wide keyring operation: `<errors>/<nodes> nodes reported
 * failure` when any member answered with an error, else `<answers>/<nodes> nodes reported success`
 * when some did not answer; undefined on full success.
 */
export function keyringPoolError(r: KeyringResult): string | undefined {
  if (r.numErr !== 0) return `${r.numErr}/${r.numNodes} nodes reported failure`;
  if (r.numResp !== r.numNodes) return `${r.numResp}/${r.numNodes} nodes reported success`;
  return undefined;
}

/** The body of `GET /v1/operator/keyring` for this agent's LAN pool in `datacenter`. */
export function keyringListResponse(datacenter: string, r: KeyringResult): KeyringResponseJson[] {
  const error = keyringPoolError(r);
  return [
    {
      WAN: false,
      Datacenter: datacenter,
      Segment: '',
      ...(Object.keys(r.messages).length > 0 ? { Messages: sorted(r.messages) } : {}),
      Keys: sorted(r.keys),
      PrimaryKeys: sorted(r.primaryKeys),
      NumNodes: r.numNodes,
      ...(error !== undefined ? { Error: error } : {}),
    },
  ];
}

/**
 * The error Consul answers a keyring operation with (HTTP 500) when the pool reported one, as
 * go-multierror formats keyringErrorsOrNil: `<dc> (LAN) error: <error>` then `<node>: <message>`
 * for each node's message (sorted by node); undefined when the operation succeeded.
 */
export function keyringErrorText(datacenter: string, r: KeyringResult): string | undefined {
  const error = keyringPoolError(r);
  if (error === undefined) return undefined;
  const errs = [`${datacenter} (LAN) error: ${error}`];
  for (const [node, message] of Object.entries(sorted(r.messages))) errs.push(`${node}: ${message}`);
  if (errs.length === 1) return `1 error occurred:\n\t* ${errs[0]}\n\n`;
  return `${errs.length} errors occurred:\n\t${errs.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}
