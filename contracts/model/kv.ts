/** A KV entry as stored by the state machine. */
export interface KvEntry {
  key: string;
  value: Uint8Array;
  /** Opaque uint64 carried as a decimal string (JS numbers lose precision past 2^53). */
  flags: string;
  createIndex: number;
  modifyIndex: number;
  lockIndex: number;
  /** The session holding the lock, or '' when unlocked. */
  session: string;
}

/** Consul's DirEntry JSON, as returned by GET /v1/kv. */
export interface DirEntry {
  LockIndex: number;
  Key: string;
  Flags: number | bigint;
  Value: string | null;
  Session?: string;
  CreateIndex: number;
  ModifyIndex: number;
}
