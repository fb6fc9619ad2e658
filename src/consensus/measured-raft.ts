import type { Clock } from '../../contracts/platform.js';
import type { Metrics } from '../../contracts/ports/metrics.js';
import type { RaftApi, RaftPeer } from './raft-api.js';

/**
 * A RaftApi that records hashicorp/raft's leader-side metrics around `propose`: the counter
 * `raft.apply` (one per entry) and the sample `raft.commitTime` (ms from propose to committed
 * and applied). Everything else passes straight through to the Raft server.
 */
export class MeasuredRaft implements RaftApi {
  constructor(
    private readonly raft: RaftApi,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {}

  async propose(data: Uint8Array): Promise<unknown> {
    const started = this.clock.now();
    this.metrics.incrCounter('raft.apply');
    const result = await this.raft.propose(data);
    this.metrics.measureSince('raft.commitTime', started);
    return result;
  }
  readBarrier(mode: 'default' | 'consistent'): Promise<void> {
    return this.raft.readBarrier(mode);
  }
  isLeader(): boolean {
    return this.raft.isLeader();
  }
  leader(): RaftPeer | undefined {
    return this.raft.leader();
  }
  lastContactMs(): number {
    return this.raft.lastContactMs();
  }
  configuration(): RaftPeer[] {
    return this.raft.configuration();
  }
  addVoter(id: string, address: string): Promise<void> {
    return this.raft.addVoter(id, address);
  }
  addNonvoter(id: string, address: string): Promise<void> {
    return this.raft.addNonvoter(id, address);
  }
  removeServer(id: string): Promise<void> {
    return this.raft.removeServer(id);
  }
  onLeaderChange(fn: () => void): () => void {
    return this.raft.onLeaderChange(fn);
  }
  onLeadershipChange(fn: (isLeader: boolean) => void): () => void {
    return this.raft.onLeadershipChange(fn);
  }
  start(): Promise<void> {
    return this.raft.start();
  }
  stop(): Promise<void> {
    return this.raft.stop();
  }
}
