import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { RaftApi, RaftPeer } from '../../../src/consensus/raft-api.js';
import type { StateMachine } from '../../../contracts/ports/state-machine.js';

/** A single-server "Raft" that applies every proposal directly to the state machine. */
export class FakeRaft implements RaftApi {
  private index = 0;
  barriers: string[] = [];
  proposals = 0;
  leaderPeer: RaftPeer | undefined = { id: 'n1', address: '127.0.0.1:8300', voter: true };
  contactMs = 0;
  /** When set, readBarrier rejects with this error. */
  barrierError: SextantError | undefined;

  constructor(private readonly sm: StateMachine) {}

  async propose(data: Uint8Array): Promise<unknown> {
    this.proposals++;
    if (!this.leaderPeer) throw new SextantError(ErrorCode.NoLeader, 'No cluster leader');
    return this.sm.apply({ index: ++this.index, term: 1, data });
  }

  /** Burns Raft indexes as other entry kinds would. */
  skip(n: number): void {
    this.index += n;
  }

  async readBarrier(mode: 'default' | 'consistent'): Promise<void> {
    this.barriers.push(mode);
    if (this.barrierError) throw this.barrierError;
  }

  isLeader(): boolean {
    return this.leaderPeer !== undefined;
  }

  leader(): RaftPeer | undefined {
    return this.leaderPeer;
  }

  lastContactMs(): number {
    return this.contactMs;
  }

  configuration(): RaftPeer[] {
    return this.leaderPeer ? [this.leaderPeer] : [];
  }

  async addVoter(): Promise<void> {
    throw new SextantError(ErrorCode.NotImplemented, 'the fake raft has one server');
  }

  async addNonvoter(): Promise<void> {
    throw new SextantError(ErrorCode.NotImplemented, 'the fake raft has one server');
  }

  async removeServer(): Promise<void> {
    throw new SextantError(ErrorCode.NotImplemented, 'the fake raft has one server');
  }

  onLeaderChange(): () => void {
    return () => {};
  }

  onLeadershipChange(_fn?: (isLeader: boolean) => void): () => void {
    return () => {};
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
