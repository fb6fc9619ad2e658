import type { KeyringOperation, KeyringResult } from '../model/keyring.js';

/** A gossip member as /v1/agent/members reports it (Consul's Member JSON). */
export interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  /** 0 none, 1 alive, 2 leaving, 3 left, 4 failed. */
  Status: number;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

/** What /v1/agent/self returns (the subset Sextant fills; extra sections are allowed). */
export interface AgentSelf {
  Config: Record<string, unknown>;
  DebugConfig?: Record<string, unknown>;
  Member: Member;
  Stats: Record<string, Record<string, string>>;
  Meta: Record<string, string>;
  xDS?: unknown;
}

/** Agent-level operations a surface or the CLI may ask for. */
export interface AgentService {
  /** This agent's /v1/agent/self document. */
  self(): AgentSelf;
  /** Members of the LAN (or WAN) pool this agent sees, itself included. */
  members(wan: boolean): Member[];
  /** Re-reads and re-validates the configuration and applies what is reloadable. Rejects with
   * CONFIG_INVALID (nothing applied, running config kept) when the new config is bad. */
  reload(): Promise<void>;
  /**
   * Joins the LAN pool through the agents at `addresses` (Consul's JoinLAN; `host` or `host:port`).
   * Resolves with how many were contacted; rejects with JOIN_FAILED (the message says which
   * addresses failed and why). `wan`: the WAN pool, which Sextant does not have: rejects with
   * NOT_IMPLEMENTED (on a client with Consul's `Must be a server to join WAN cluster`).
   */
  join(addresses: readonly string[], wan: boolean): Promise<number>;
  /**
   * Leaves the LAN pool gracefully and then shuts the agent down (Consul's Leave followed by
   * ShutdownAgent): resolves once the pool has been left; the shutdown starts right after, so
   * the caller's answer still goes out. Rejects (and does not shut down) when the leave fails.
   */
  leave(): Promise<void>;
  /**
   * Forces the member `node` out of the pool (serf's RemoveFailedNode; `prune`: forgotten at once).
   * Rejects with NOT_FOUND `agent: No node found with name '<node>'` when no member has that name;
   * with NOT_IMPLEMENTED for `wan` (no WAN pool; on a client Consul's `Must be a server to
   * force-leave a node from the WAN cluster`).
   */
  forceLeave(node: string, prune: boolean, wan: boolean): Promise<void>;
  /**
   * Carries out a keyring operation across the LAN pool (Consul's /v1/operator/keyring) and
   * resolves with the pool's answer. `key` (base64) is required for install, use and remove.
   * Rejects with BAD_REQUEST for a relay factor outside 0..5 (`Relay factor must be in range: [0, 5]`)
   * or local-only on anything but list (`local-only can only be set for list requests`), and as
   * the Membership port's keyring does (NOT_IMPLEMENTED when the pool is not encrypted).
   */
  keyring(operation: KeyringOperation, key: string | undefined, opts: KeyringOptions): Promise<KeyringResult>;
}

/** Options of a keyring request: Consul's `relay-factor` (0..5) and `local-only` (list only). */
export interface KeyringOptions {
  readonly relayFactor: number;
  readonly localOnly: boolean;
}
