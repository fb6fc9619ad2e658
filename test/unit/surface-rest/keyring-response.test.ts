/**
 * Consul's /v1/operator/keyring answers from a pool KeyringResult: the list body as Consul CE's
 * encoding/json writes structs.KeyringResponse, and the error text of keyringErrorsOrNil.
 */
import { describe, expect, it } from 'vitest';
import type { KeyringResult } from '../../../contracts/model/keyring.js';
import { keyringErrorText, keyringListResponse, keyringPoolError } from '../../../plugins/surface-rest/keyring-response.js';

const K1 = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const K2 = 'i0P+gFTkLPg0h53eNYjydg==';

function result(over: Partial<KeyringResult> = {}): KeyringResult {
  return { messages: {}, numNodes: 3, numResp: 3, numErr: 0, keys: { [K1]: 3, [K2]: 1 }, primaryKeys: { [K1]: 3 }, ...over };
}

describe('keyringListResponse', () => {
  it("is one LAN entry with Consul's fields in Consul's order; empty Messages, Partition and Error are left out", () => {
    const body = keyringListResponse('dc1', result());
    expect(JSON.stringify(body)).toBe(
      `[{"WAN":false,"Datacenter":"dc1","Segment":"","Keys":{"${K2}":1,"${K1}":3},"PrimaryKeys":{"${K1}":3},"NumNodes":3}]`,
    );
  });

  it('carries the per-node messages (sorted by node) and serf’s error when members failed', () => {
    const body = keyringListResponse('dc1', result({ numErr: 1, messages: { 'node-b': 'boom', 'node-a': 'bad' } }));
    expect(body).toHaveLength(1);
    expect(Object.keys(body[0]!)).toEqual(['WAN', 'Datacenter', 'Segment', 'Messages', 'Keys', 'PrimaryKeys', 'NumNodes', 'Error']);
    expect(Object.keys(body[0]!.Messages!)).toEqual(['node-a', 'node-b']);
    expect(body[0]!.Error).toBe('1/3 nodes reported failure');
  });

  it('shows empty key maps rather than leaving them out', () => {
    expect(JSON.stringify(keyringListResponse('east', result({ keys: {}, primaryKeys: {}, numNodes: 1, numResp: 1 })))).toBe(
      '[{"WAN":false,"Datacenter":"east","Segment":"","Keys":{},"PrimaryKeys":{},"NumNodes":1}]',
    );
  });
});

describe('keyring errors', () => {
  it("serf's pool error: failures first, then missing answers, else none", () => {
    expect(keyringPoolError(result())).toBeUndefined();
    expect(keyringPoolError(result({ numErr: 2, numResp: 2 }))).toBe('2/3 nodes reported failure');
    expect(keyringPoolError(result({ numResp: 2 }))).toBe('2/3 nodes reported success');
  });

  it("keyringErrorsOrNil's text as go-multierror prints it", () => {
    expect(keyringErrorText('dc1', result())).toBeUndefined();
    expect(keyringErrorText('dc1', result({ numResp: 2 }))).toBe('1 error occurred:\n\t* dc1 (LAN) error: 2/3 nodes reported success\n\n');
    expect(keyringErrorText('dc1', result({ numErr: 1, messages: { b: 'Removing the primary key is not allowed', a: 'x' } }))).toBe(
      '3 errors occurred:\n\t* dc1 (LAN) error: 1/3 nodes reported failure\n\t* a: x\n\t* b: Removing the primary key is not allowed\n\n',
    );
  });
});
