/** Gossip keyring operations and their pool-wide answers (serf's KeyManager, Consul's /v1/operator/keyring). */

/** What a keyring request asks the pool to do. */
export type KeyringOperation = 'list' | 'install' | 'use' | 'remove';

/**
 * The pool's answer to one keyring operation (serf's KeyResponse): how many members were asked
 * and answered, the per-node error messages, and for `list` how many members hold each key
 * (base64) and which key each uses as primary.
 */
export interface KeyringResult {
  /** Error messages by node name, for the members that answered with an error. */
  messages: Record<string, string>;
  /** Members asked (alive members of the pool). */
  numNodes: number;
  /** Members that answered. */
  numResp: number;
  /** Members that answered with an error. */
  numErr: number;
  /** For `list`: base64 key → how many members hold it. Empty for the other operations. */
  keys: Record<string, number>;
  /** For `list`: base64 key → how many members use it as their primary key. */
  primaryKeys: Record<string, number>;
}
