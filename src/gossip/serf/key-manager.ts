/**
 * serf's KeyManager (keymanager.go): keyring operations carried out across the pool by the
 * internal queries `_serf_install-key`, `_serf_use-key`, `_serf_remove-key` and
 * `_serf_list-keys`, every member's answer aggregated into one KeyResponse.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { KeyringResult } from '../../../contracts/model/keyring.js';
import { decodeKeyResponse, encodeKeyRequest, SerfMessageType } from './messages.js';
import type { QueryResponse } from './query-response.js';

/** The pool's answer to a keyring operation; `error` is serf's error text when not every member succeeded ("N/M nodes reported failure" or "N/M nodes reported success"). */
export interface KeyResponse extends KeyringResult {
  error?: string;
}

/** What the key manager needs from Serf. */
export interface KeyQueryRunner {
  /** Starts the internal query `name` (with the `_serf_` prefix) with `payload` and default parameters. */
  startInternalQuery(name: string, payload: Uint8Array, relayFactor: number): QueryResponse;
  /** memberlist's NumMembers (alive and suspect members). */
  numMembers(): number;
}

/** Strict standard base64 (Go's base64.StdEncoding.DecodeString). Throws BAD_REQUEST with Go's text. */
export function decodeBase64Key(key: string): Uint8Array {
  if (key.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(key)) {
    const at = [...key].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
    throw new SextantError(ErrorCode.BadRequest, `illegal base64 data at input byte ${at >= 0 ? at : key.length - (key.length % 4)}`);
  }
  return new Uint8Array(Buffer.from(key, 'base64'));
}

/** Keyring operations across the pool. */
export class KeyManager {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly runner: KeyQueryRunner) {}

  /** Installs `key` (base64) on every member. Rejects BAD_REQUEST for bad base64. */
  installKey(key: string, relayFactor = 0): Promise<KeyResponse> {
    return this.exclusive(() => this.request(key, 'install-key', relayFactor));
  }

  /** Makes `key` the primary key of every member. */
  useKey(key: string, relayFactor = 0): Promise<KeyResponse> {
    return this.exclusive(() => this.request(key, 'use-key', relayFactor));
  }

  /** Removes `key` from every member. */
  removeKey(key: string, relayFactor = 0): Promise<KeyResponse> {
    return this.exclusive(() => this.request(key, 'remove-key', relayFactor));
  }

  /** Lists the keys of every member (`keys`: how many hold each; `primaryKeys`: how many use each as primary). */
  listKeys(relayFactor = 0): Promise<KeyResponse> {
    return this.exclusive(() => this.request('', 'list-keys', relayFactor));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private request(key: string, query: string, relayFactor: number): Promise<KeyResponse> {
    const raw = decodeBase64Key(key);
    const q = this.runner.startInternalQuery(query, encodeKeyRequest(raw), relayFactor);
    const resp: KeyResponse = { messages: {}, numNodes: this.runner.numMembers(), numResp: 0, numErr: 0, keys: {}, primaryKeys: {} };
    return new Promise<KeyResponse>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        if (resp.numErr !== 0) resp.error = `${resp.numErr}/${resp.numNodes} nodes reported failure`;
        else if (resp.numResp !== resp.numNodes) resp.error = `${resp.numResp}/${resp.numNodes} nodes reported success`;
        resolve(resp);
      };
      q.onResponse((r) => {
        if (done) return;
        resp.numResp++;
        if (r.payload.length < 1 || r.payload[0] !== SerfMessageType.KeyResponse) {
          resp.messages[r.from] = `Invalid key query response type: ${Buffer.from(r.payload).toString('hex')}`;
          resp.numErr++;
        } else {
          try {
            const nr = decodeKeyResponse(r.payload);
            if (!nr.result) {
              resp.messages[r.from] = nr.message;
              resp.numErr++;
            }
            if (nr.result && nr.message.length > 0) resp.messages[r.from] = nr.message;
            for (const k of nr.keys ?? []) resp.keys[k] = (resp.keys[k] ?? 0) + 1;
            // serf counts an empty primary key too; the contract keeps primaryKeys for `list` only.
            if (nr.primaryKey !== '') resp.primaryKeys[nr.primaryKey] = (resp.primaryKeys[nr.primaryKey] ?? 0) + 1;
          } catch {
            resp.messages[r.from] = `Failed to decode key query response: ${Buffer.from(r.payload).toString('hex')}`;
            resp.numErr++;
          }
        }
        if (resp.numResp === resp.numNodes) finish();
      });
      q.onClose(finish);
    });
  }
}
