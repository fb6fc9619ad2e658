/**
 * serf's internal queries (internal_query.go): `_serf_ping` (nothing to do), `_serf_conflict`
 * (which member do you know by this name?) and the keyring queries, answered on memberlist's
 * Keyring. They never reach the event listeners.
 */
import type { Logger } from '../../../contracts/platform.js';
import type { Keyring } from '../memberlist/keyring.js';
import { decodeKeyRequest, encodeConflictResponse, encodeKeyResponse, encodeQueryResponse, type NodeKeyResponse, type QueryResponseMessage, type WireMember } from './messages.js';

/** serf's InternalQueryPrefix. */
export const INTERNAL_QUERY_PREFIX = '_serf_';
/** serf's minEncodedKeyLength: the shortest base64 key, for the list-keys truncation. */
const MIN_ENCODED_KEY_LENGTH = 25;

/** An internal query as it arrived. */
export interface InternalQuery {
  name: string;
  payload: Uint8Array;
  /** Builds the response message (LTime, ID, From) for `payload`. */
  createResponse(payload: Uint8Array): QueryResponseMessage;
  /** Sends an encoded response (checks the size and the deadline). Rejects with serf's texts. */
  respondRaw(raw: Uint8Array, resp: QueryResponseMessage): Promise<void>;
}

/** What the handlers need from Serf. */
export interface InternalQueryHost {
  nodeName: string;
  logger: Logger;
  keyring: Keyring | undefined;
  queryResponseSizeLimit: number;
  /** The member known by `name`, as a conflict response carries it. */
  memberByName(name: string): WireMember | null;
  /** The keyring changed (install/use/remove succeeded). */
  keyringChanged(): void;
}

/** Handles one `_serf_` query. */
export async function handleInternalQuery(host: InternalQueryHost, q: InternalQuery): Promise<void> {
  const kind = q.name.slice(INTERNAL_QUERY_PREFIX.length);
  try {
    switch (kind) {
      case 'ping':
        return;
      case 'conflict': {
        const node = new TextDecoder().decode(q.payload);
        if (node === host.nodeName) return;
        host.logger.debug('serf: Got conflict resolution query', { node });
        const buf = encodeConflictResponse(host.memberByName(node));
        const resp = q.createResponse(buf);
        await q.respondRaw(encodeQueryResponse(resp), resp);
        return;
      }
      case 'install-key':
      case 'use-key':
      case 'remove-key':
        return await sendKeyResponse(host, q, changeKey(host, kind, q.payload));
      case 'list-keys':
        return await sendKeyResponse(host, q, listKeys(host));
      default:
        host.logger.warn(`serf: Unhandled internal query '${kind}'`);
    }
  } catch (e) {
    host.logger.error('serf: Failed to respond to internal query', { query: q.name, error: (e as Error).message });
  }
}

function changeKey(host: InternalQueryHost, kind: 'install-key' | 'use-key' | 'remove-key', payload: Uint8Array): NodeKeyResponse {
  const response: NodeKeyResponse = { result: false, message: '', keys: null, primaryKey: '' };
  let key: Uint8Array;
  try {
    key = decodeKeyRequest(payload);
  } catch (e) {
    host.logger.error('serf: Failed to decode key request', { error: (e as Error).message });
    return response;
  }
  const keyring = host.keyring;
  if (!keyring) {
    response.message = 'No keyring to modify (encryption not enabled)';
    host.logger.error('serf: No keyring to modify (encryption not enabled)');
    return response;
  }
  host.logger.info(`serf: Received ${kind} query`);
  try {
    if (kind === 'install-key') keyring.addKey(key);
    else if (kind === 'use-key') keyring.useKey(key);
    else keyring.removeKey(key);
  } catch (e) {
    response.message = (e as Error).message;
    host.logger.error(`serf: Failed to ${kind === 'install-key' ? 'install key' : kind === 'use-key' ? 'change primary key' : 'remove key'}`, { error: response.message });
    return response;
  }
  host.keyringChanged();
  response.result = true;
  return response;
}

function listKeys(host: InternalQueryHost): NodeKeyResponse {
  const response: NodeKeyResponse = { result: false, message: '', keys: null, primaryKey: '' };
  const keyring = host.keyring;
  if (!keyring) {
    response.message = 'Keyring is empty (encryption not enabled)';
    host.logger.error('serf: Keyring is empty (encryption not enabled)');
    return response;
  }
  host.logger.info('serf: Received list-keys query');
  const b64 = (k: Uint8Array): string => Buffer.from(k).toString('base64');
  const keys = keyring.getKeys().map(b64);
  response.keys = keys.length > 0 ? keys : null;
  const primary = keyring.primaryKey();
  response.primaryKey = primary ? b64(primary) : '';
  response.result = true;
  return response;
}

async function sendKeyResponse(host: InternalQueryHost, q: InternalQuery, response: NodeKeyResponse): Promise<void> {
  if (q.name !== `${INTERNAL_QUERY_PREFIX}list-keys`) {
    const resp = q.createResponse(encodeKeyResponse(response));
    await q.respondRaw(encodeQueryResponse(resp), resp);
    return;
  }
  // keyListResponseWithCorrectSize: drop keys until the response fits.
  const maxListKeys = Math.floor(host.queryResponseSizeLimit / MIN_ENCODED_KEY_LENGTH);
  const actual = response.keys?.length ?? 0;
  for (let i = maxListKeys; i >= 0; i--) {
    const resp = q.createResponse(encodeKeyResponse(response));
    const raw = encodeQueryResponse(resp);
    if (raw.length > host.queryResponseSizeLimit) {
      response.keys = (response.keys ?? []).slice(0, i);
      response.message = `truncated key list response, showing first ${i} of ${actual} keys`;
      continue;
    }
    if (actual > i) host.logger.warn(`serf: ${response.message}`);
    await q.respondRaw(raw, resp);
    return;
  }
  host.logger.error('serf: Failed to truncate response so that it fits into message');
}
