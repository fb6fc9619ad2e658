/**
 * What the rest of the kernel asks of the Raft server. Implemented by RaftServer; the KV
 * endpoints and the agent depend only on this interface.
 */

export interface RaftPeer {
  /** Stable server id (the node id). */
  id: string;
  /** The server's RPC address, `ip:port`. */
  address: string;
  voter: boolean;
}

export interface RaftApi {
  /**
   * Appends `data` as a command entry, replicates it, and resolves with what
   * StateMachine.apply returned for it once committed and applied locally. Rejects with
   * NOT_LEADER (this server is not the leader; details.leader names the known leader's
   * address, if any), NO_LEADER, LEADERSHIP_LOST (outcome unknown: leadership was lost before
   * the entry committed) or SHUTDOWN.
   */
  propose(data: Uint8Array): Promise<unknown>;
  /**
   * Waits until a read in the given mode may be served from the local state machine.
   * 'default': resolves at once when this server is the leader and holds its lease (it heard
   * from a quorum of voters within the leader lease, on the monotonic clock); a leader whose
   * lease ran out (partitioned, or paused and resumed) confirms leadership as 'consistent' does
   * first, so a deposed leader never answers from its old state. Rejects NOT_LEADER / NO_LEADER,
   * or LEADERSHIP_LOST when leadership is lost before the read is confirmed. 'consistent': ReadIndex — records the commit index, confirms
   * leadership with a quorum round, waits until applied ≥ that index.
   */
  readBarrier(mode: 'default' | 'consistent'): Promise<void>;
  /** True while this server is the leader. */
  isLeader(): boolean;
  /** The currently known leader, or undefined. */
  leader(): RaftPeer | undefined;
  /** Milliseconds since the last contact with the leader (0 when this server leads). */
  lastContactMs(): number;
  /** The latest cluster configuration (voters and non-voters). */
  configuration(): RaftPeer[];
  /**
   * hashicorp/raft's AddVoter: makes `id` (at `address`) a voter — added, or promoted when it is
   * already a non-voter. One single-server change at a time; resolves once the new configuration
   * is applied. Rejects NOT_LEADER / NO_LEADER, BAD_REQUEST while another change is in progress
   * or before the leader committed an entry of its term, SHUTDOWN.
   */
  addVoter(id: string, address: string): Promise<void>;
  /**
   * hashicorp/raft's AddNonvoter: adds `id` as a non-voter that receives the log without voting
   * (an existing voter stays a voter, its address updated). Same errors as addVoter.
   */
  addNonvoter(id: string, address: string): Promise<void>;
  /**
   * hashicorp/raft's RemoveServer: removes `id` (voter or not) from the configuration. Rejects
   * NOT_FOUND when it is not in it, otherwise as addVoter.
   */
  removeServer(id: string): Promise<void>;
  /** Subscribes to changes of the known leader (another server elected, this one elected, or the
   * leader lost: leader() changed); returns an unsubscribe function. */
  onLeaderChange(fn: () => void): () => void;
  /** Subscribes to leadership changes of this server; returns an unsubscribe function. */
  onLeadershipChange(fn: (isLeader: boolean) => void): () => void;
  /** Restores persisted state (snapshot + log tail, hard state) and starts ticking. */
  start(): Promise<void>;
  /** Stops ticking, fails pending proposals with SHUTDOWN, and waits for in-flight storage writes. */
  stop(): Promise<void>;
}
