import { parseJsonLossless } from '../lossless-json.js';
import { escapeKeyPath, requireOk } from '../http-client.js';
import type { HttpClient } from '../http-client.js';

/** The KV calls the `kv` commands make (Consul's api.KV, reduced). */

/** A KV pair as the CLI sees it: Value decoded from base64, Flags exact. */
export interface KvPair {
  readonly key: string;
  readonly flags: bigint;
  readonly value: Buffer;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
  readonly session: string;
}

function toPair(e: Record<string, unknown>): KvPair {
  const v = e['Value'];
  return {
    key: String(e['Key'] ?? ''),
    flags: BigInt((e['Flags'] as number | bigint | undefined) ?? 0),
    value: typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0),
    createIndex: Number(e['CreateIndex'] ?? 0),
    modifyIndex: Number(e['ModifyIndex'] ?? 0),
    lockIndex: Number(e['LockIndex'] ?? 0),
    session: String(e['Session'] ?? ''),
  };
}

function kvPath(key: string): string {
  return `/v1/kv/${escapeKeyPath(key)}`;
}

/** The pair at `key`, or null on 404. */
export async function kvGet(client: HttpClient, key: string): Promise<KvPair | null> {
  const res = await client.request('GET', kvPath(key));
  if (res.status === 404) return null;
  requireOk(res);
  const list = parseJsonLossless(res.body.toString('utf8')) as Record<string, unknown>[] | null;
  return list && list.length > 0 ? toPair(list[0]!) : null;
}

/** Every pair under `prefix` ([] on 404). */
export async function kvList(client: HttpClient, prefix: string): Promise<KvPair[]> {
  const res = await client.request('GET', kvPath(prefix), { query: { recurse: true } });
  if (res.status === 404) return [];
  requireOk(res);
  return ((parseJsonLossless(res.body.toString('utf8')) as Record<string, unknown>[] | null) ?? []).map(toPair);
}

/** Keys under `prefix`, cut after `separator` ([] on 404). */
export async function kvKeys(client: HttpClient, prefix: string, separator: string): Promise<string[]> {
  const res = await client.request('GET', kvPath(prefix), { query: { keys: true, separator: separator === '' ? undefined : separator } });
  if (res.status === 404) return [];
  requireOk(res);
  return (JSON.parse(res.body.toString('utf8')) as string[] | null) ?? [];
}

/** PUT with query options; resolves with the agent's boolean answer. */
export async function kvPut(
  client: HttpClient,
  key: string,
  value: Uint8Array,
  query: Readonly<Record<string, string | bigint | number | boolean | undefined>>,
): Promise<boolean> {
  const res = requireOk(await client.request('PUT', kvPath(key), { query, body: value }));
  return res.body.toString('utf8').trim() === 'true';
}

/** DELETE with query options (`recurse`, `cas`); resolves with the agent's boolean answer. */
export async function kvDelete(
  client: HttpClient,
  key: string,
  query: Readonly<Record<string, string | bigint | number | boolean | undefined>>,
): Promise<boolean> {
  const res = requireOk(await client.request('DELETE', kvPath(key), { query }));
  return res.body.toString('utf8').trim() === 'true';
}
