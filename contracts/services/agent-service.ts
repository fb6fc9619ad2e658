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
}
