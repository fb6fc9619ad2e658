/**
 * The SWIM engine (memberlist's state.go + net.go) with Lifeguard: round-robin probing with
 * indirect probes and the TCP fallback probe, suspicion with confirmations, incarnation
 * refutation, piggy-backed broadcasts, gossip, push/pull anti-entropy, join and leave. Time and
 * randomness only through the Clock and Random ports; packets through PacketTransport, raw
 * streams through ConnectionTransport.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Clock, Logger, Random, TimerHandle } from '../../../contracts/platform.js';
import type { ConnectionTransport, PacketTransport, RawConnection } from '../../../contracts/ports/transport.js';
import { Awareness } from './awareness.js';
import { TransmitLimitedQueue } from './broadcast-queue.js';
import { COMPOUND_HEADER_OVERHEAD, COMPOUND_OVERHEAD, makeCompoundMessage } from './compound.js';
import type { MemberlistDelegate, MemberlistEvents } from './delegates.js';
import type { Keyring } from './keyring.js';
import { addressOf, type Member, parseAddress } from './member.js';
import { type Alive, type Dead, encodeMessage, type Message, MessageType, NodeStateType, type PushNodeState, type Suspect } from './messages.js';
import { openPacket, sealPacket } from './packet-codec.js';
import { encryptOverhead } from './security.js';
import { verifyProtocol } from './protocol-version.js';
import { encodeStreamMessage, sealStream, type StreamMessage, StreamMessageReader } from './stream-codec.js';
import { Suspicion } from './suspicion.js';
import { LAN_TIMINGS, suspicionTimeout } from './timing.js';

/** memberlist's MetaMaxSize. */
export const META_MAX_SIZE = 512;

/** Engine settings: Consul's LAN timings by default. */
export interface MemberlistConfig {
  /** This node's unique name. */
  name: string;
  /** The address advertised to peers (`ip:port`); defaults to the packet transport's local address. */
  advertiseAddress?: string;
  gossipIntervalMs?: number;
  gossipNodes?: number;
  gossipToTheDeadMs?: number;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  retransmitMult?: number;
  suspicionMult?: number;
  suspicionMaxTimeoutMult?: number;
  pushPullIntervalMs?: number;
  tcpTimeoutMs?: number;
  indirectChecks?: number;
  awarenessMaxMultiplier?: number;
  udpBufferSize?: number;
  /** memberlist's EnableCompression (default true). */
  enableCompression?: boolean;
  /**
   * Lifeguard on (default). false gives plain SWIM, for measuring what Lifeguard buys (memberlist
   * itself has no such switch): the awareness multiplier stays 1, a suspicion times out after the
   * minimum suspicion timeout with no confirmations counted, indirect probes ask for no nacks, and
   * a probe of a suspect node does not carry the suspect message (the buddy system).
   */
  lifeguard?: boolean;
  /** Encryption keys; none: plaintext. */
  keyring?: Keyring;
  /** memberlist's GossipVerifyIncoming (default true): with a keyring, refuse what does not decrypt (false: also read plaintext, for rolling encryption in). */
  gossipVerifyIncoming?: boolean;
  /** memberlist's GossipVerifyOutgoing (default true): with a keyring, encrypt what is sent (false: send plaintext). */
  gossipVerifyOutgoing?: boolean;
  /** [pmin, pmax, pcur, dmin, dmax, dcur] advertised (default memberlist 1..5 cur 2, delegate 0). */
  vsn?: Uint8Array;
}

/** What the engine runs on. */
export interface MemberlistDeps {
  clock: Clock;
  random: Random;
  logger: Logger;
  packets: PacketTransport;
  /** Push/pull, join and the TCP fallback probe need it; without it they are skipped. */
  connections?: ConnectionTransport;
  delegate?: MemberlistDelegate;
  events?: MemberlistEvents;
}

type AckHandler = { onAck: (payload: Uint8Array | null) => void; onNack: () => void };

/** One memberlist node. */
export class Memberlist {
  private readonly cfg: Required<Omit<MemberlistConfig, 'keyring' | 'advertiseAddress' | 'vsn'>> & Pick<MemberlistConfig, 'keyring'>;
  /** What the packet and stream codecs are told about verification (Consul's encrypt_verify_incoming/outgoing). */
  private readonly verify: { verifyIncoming: boolean; verifyOutgoing: boolean };
  private readonly vsn: Uint8Array;
  private readonly nodes = new Map<string, Member>();
  /** The member last seen at each address (the CRC choice per packet looks it up). */
  private readonly byAddress = new Map<string, Member>();
  /** Members neither dead nor left (kept with every state change: read per packet). */
  private numLive = 0;
  private probeOrder: string[] = [];
  private probeIndex = 0;
  private seqNo = 0;
  private incarnation = 0;
  private readonly ackHandlers = new Map<number, AckHandler>();
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly broadcasts: TransmitLimitedQueue;
  private readonly awareness: Awareness;
  private readonly timers: TimerHandle[] = [];
  private readonly unhook: Array<() => void> = [];
  private leaving = false;
  private stopped = false;
  private probing = false;
  /** Set while primeMembers merges: no broadcasts are queued. */
  private quiet = false;
  private advertise = '';

  constructor(
    config: MemberlistConfig,
    private readonly deps: MemberlistDeps,
  ) {
    this.cfg = {
      name: config.name,
      gossipIntervalMs: config.gossipIntervalMs ?? LAN_TIMINGS.gossipIntervalMs,
      gossipNodes: config.gossipNodes ?? LAN_TIMINGS.gossipNodes,
      gossipToTheDeadMs: config.gossipToTheDeadMs ?? LAN_TIMINGS.gossipToTheDeadMs,
      probeIntervalMs: config.probeIntervalMs ?? LAN_TIMINGS.probeIntervalMs,
      probeTimeoutMs: config.probeTimeoutMs ?? LAN_TIMINGS.probeTimeoutMs,
      retransmitMult: config.retransmitMult ?? LAN_TIMINGS.retransmitMult,
      suspicionMult: config.suspicionMult ?? LAN_TIMINGS.suspicionMult,
      suspicionMaxTimeoutMult: config.suspicionMaxTimeoutMult ?? LAN_TIMINGS.suspicionMaxTimeoutMult,
      pushPullIntervalMs: config.pushPullIntervalMs ?? LAN_TIMINGS.pushPullIntervalMs,
      tcpTimeoutMs: config.tcpTimeoutMs ?? LAN_TIMINGS.tcpTimeoutMs,
      indirectChecks: config.indirectChecks ?? LAN_TIMINGS.indirectChecks,
      awarenessMaxMultiplier: config.awarenessMaxMultiplier ?? LAN_TIMINGS.awarenessMaxMultiplier,
      udpBufferSize: config.udpBufferSize ?? LAN_TIMINGS.udpBufferSize,
      enableCompression: config.enableCompression ?? true,
      lifeguard: config.lifeguard ?? true,
      keyring: config.keyring,
      gossipVerifyIncoming: config.gossipVerifyIncoming ?? true,
      gossipVerifyOutgoing: config.gossipVerifyOutgoing ?? true,
    };
    this.verify = { verifyIncoming: this.cfg.gossipVerifyIncoming, verifyOutgoing: this.cfg.gossipVerifyOutgoing };
    this.vsn = config.vsn ?? Uint8Array.from([1, 5, 2, 0, 0, 0]);
    this.advertise = config.advertiseAddress ?? '';
    this.broadcasts = new TransmitLimitedQueue(this.cfg.retransmitMult, () => this.numMembers());
    this.awareness = new Awareness(this.cfg.lifeguard ? this.cfg.awarenessMaxMultiplier : 1);
  }

  /** Starts listening and the probe, gossip and push/pull timers, with this node alive at incarnation 1... as memberlist's Create does. */
  async start(): Promise<void> {
    const { packets, connections, clock } = this.deps;
    await packets.start();
    if (connections) await connections.start();
    if (!this.advertise) this.advertise = packets.localAddress;
    this.unhook.push(packets.onPacket((from, p) => this.ingestPacket(from, p)));
    if (connections) this.unhook.push(connections.listen((c) => this.handleConn(c)));
    const { addr, port } = parseAddress(this.advertise);
    this.incarnation = 1;
    this.aliveNode({ incarnation: 1, node: this.cfg.name, addr, port, meta: this.localMeta(), vsn: this.vsn }, true);
    this.timers.push(clock.setInterval(() => this.probe(), this.cfg.probeIntervalMs));
    this.timers.push(clock.setInterval(() => this.gossip(), this.cfg.gossipIntervalMs));
    if (connections && this.cfg.pushPullIntervalMs > 0) this.schedulePushPull();
  }

  /** All known members (alive, suspect, dead and left), self included. */
  members(): Member[] {
    return [...this.nodes.values()].map((m) => ({ ...m }));
  }

  /** How this node sees `name` (a copy), or undefined when it does not know it. */
  member(name: string): Member | undefined {
    const m = this.nodes.get(name);
    return m ? { ...m } : undefined;
  }

  /**
   * Simulation support: merges `states` as a push/pull would, but queues no broadcast about them,
   * which is the table of a member of a pool whose formation gossip has long died down (a
   * 1,000-member simulation starts there instead of replaying the formation's N² messages).
   * A real node learns the pool through join().
   */
  primeMembers(states: readonly PushNodeState[]): void {
    this.quiet = true;
    try {
      this.mergeState([...states]);
    } finally {
      this.quiet = false;
    }
  }

  /** Members that are alive or suspect (memberlist's Members()). */
  aliveMembers(): Member[] {
    return this.members().filter((m) => m.state === NodeStateType.Alive || m.state === NodeStateType.Suspect);
  }

  /** Known non-dead members (memberlist's NumMembers). */
  numMembers(): number {
    return this.numLive;
  }

  /** Lifeguard's health score of this node (0 is healthy). */
  healthScore(): number {
    return this.awareness.getHealthScore();
  }

  /** Joins through the given addresses by push/pull; resolves with how many answered. Rejects with TRANSPORT_FAILED when none did. */
  async join(addresses: string[]): Promise<number> {
    let ok = 0;
    const errors: string[] = [];
    for (const a of addresses) {
      try {
        await this.pushPullNode(a, true);
        ok++;
      } catch (e) {
        errors.push(`${a}: ${(e as Error).message}`);
      }
    }
    if (ok === 0 && addresses.length > 0) throw new SextantError(ErrorCode.TransportFailed, `failed to join: ${errors.join('; ')}`);
    return ok;
  }

  /** Broadcasts our leave (a dead message about ourselves) and stops refuting. Resolves once the broadcast was sent out (or `timeoutMs` passed). */
  async leave(timeoutMs: number): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    const self = this.nodes.get(this.cfg.name);
    if (!self) return;
    this.deadNode({ incarnation: self.incarnation, node: this.cfg.name, from: this.cfg.name });
    if (this.numMembers() === 0) return;
    const deadline = this.deps.clock.now() + timeoutMs;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.broadcasts.numQueued() === 0 || this.deps.clock.now() >= deadline || this.stopped) resolve();
        else this.deps.clock.setTimeout(check, this.cfg.gossipIntervalMs);
      };
      check();
    });
  }

  /** Sends a user message to a member over UDP (memberlist's SendBestEffort). */
  sendUser(address: string, msg: Uint8Array): void {
    this.sendMsg(address, encodeMessage({ type: MessageType.User, body: msg }));
  }

  /** Sends a user message to a member over a stream (memberlist's SendReliable). Rejects with TRANSPORT_FAILED/TIMEOUT when it cannot be delivered. */
  async sendUserReliable(address: string, msg: Uint8Array): Promise<void> {
    const connections = this.deps.connections;
    if (!connections) throw new SextantError(ErrorCode.TransportFailed, 'no connection transport');
    const conn = await connections.dial(address, this.cfg.tcpTimeoutMs);
    conn.write(this.seal({ type: MessageType.User, body: msg }));
    conn.close();
  }

  /** Re-reads the delegate's meta and broadcasts it with a new incarnation (memberlist's UpdateNode). */
  updateMeta(): void {
    const self = this.nodes.get(this.cfg.name);
    if (!self) return;
    this.incarnation++;
    const { addr, port } = parseAddress(this.advertise);
    this.aliveNode({ incarnation: this.incarnation, node: this.cfg.name, addr, port, meta: this.localMeta(), vsn: this.vsn }, true);
  }

  /** Stops every timer and closes the transports (no leave message: that is `leave`). Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers.splice(0)) t.cancel();
    for (const s of this.suspicions.values()) s.cancel();
    this.suspicions.clear();
    for (const u of this.unhook.splice(0)) u();
    await this.deps.packets.close();
    await this.deps.connections?.close();
  }

  // ---- sending ----

  private localMeta(): Uint8Array {
    const meta = this.deps.delegate?.nodeMeta?.(META_MAX_SIZE) ?? new Uint8Array(0);
    if (meta.length > META_MAX_SIZE) throw new SextantError(ErrorCode.ConfigInvalid, `node meta is over ${META_MAX_SIZE} bytes`);
    return meta;
  }

  private packetLimit(): number {
    const enc = this.cfg.keyring?.primaryKey() ? encryptOverhead(1) : 0;
    return this.cfg.udpBufferSize - enc - 5;
  }

  private peerSpeaksCrc(address: string): boolean {
    const m = this.byAddress.get(address);
    return m !== undefined && (m.vsn[1] ?? 0) >= 5;
  }

  /** Moves `m` to `state`, keeping the live count. */
  private setState(m: Member, state: NodeStateType): void {
    const wasLive = m.state !== NodeStateType.Dead && m.state !== NodeStateType.Left;
    const isLive = state !== NodeStateType.Dead && state !== NodeStateType.Left;
    if (wasLive !== isLive) this.numLive += isLive ? 1 : -1;
    m.state = state;
  }

  /** Sends `msg` plus as many piggy-backed broadcasts as fit (memberlist's sendMsg). */
  private sendMsg(address: string, msg: Uint8Array): void {
    if (this.stopped) return;
    const limit = this.packetLimit() - msg.length - COMPOUND_HEADER_OVERHEAD - COMPOUND_OVERHEAD;
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, limit);
    this.rawSend(address, extra.length === 0 ? msg : makeCompoundMessage([msg, ...extra]));
  }

  private rawSend(address: string, msg: Uint8Array): void {
    if (this.stopped) return;
    const keyring = this.cfg.keyring;
    const packet = sealPacket(msg, {
      compress: this.cfg.enableCompression,
      crc: this.peerSpeaksCrc(address),
      keyring,
      ...this.verify,
      nonce: keyring?.primaryKey() ? this.deps.random.bytes(12) : undefined,
    });
    this.deps.packets.sendPacket(address, packet);
  }

  private getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out = this.broadcasts.getBroadcasts(overhead, limit);
    const d = this.deps.delegate?.getBroadcasts;
    if (d) {
      let used = 0;
      for (const b of out) used += overhead + b.length;
      // Each user broadcast goes out framed as a userMsg, one byte more (memberlist's getBroadcasts).
      for (const b of d.call(this.deps.delegate, overhead + 1, limit - used)) {
        const framed = new Uint8Array(b.length + 1);
        framed[0] = MessageType.User;
        framed.set(b, 1);
        out.push(framed);
      }
    }
    return out;
  }

  private broadcast(node: string, m: Message): void {
    if (this.quiet) return;
    this.broadcasts.queue(encodeMessage(m), node);
  }

  // ---- receiving ----

  private ingestPacket(from: string, packet: Uint8Array): void {
    if (this.stopped) return;
    let opened;
    try {
      opened = openPacket(packet, { keyring: this.cfg.keyring, ...this.verify });
    } catch (e) {
      this.deps.logger.warn('memberlist: dropped a packet', { from, error: (e as Error).message });
      return;
    }
    for (const m of opened.messages) this.handleMessage(from, m);
  }

  private handleMessage(from: string, m: Message): void {
    switch (m.type) {
      case MessageType.Ping: {
        if (m.body.node !== '' && m.body.node !== this.cfg.name) return;
        const to = m.body.sourceAddr && m.body.sourceAddr.length > 0 && m.body.sourcePort ? addressOf(m.body.sourceAddr, m.body.sourcePort) : from;
        const payload = this.deps.delegate?.ackPayload?.() ?? null;
        this.sendMsg(to, encodeMessage({ type: MessageType.AckResp, body: { seqNo: m.body.seqNo, payload } }));
        return;
      }
      case MessageType.IndirectPing:
        this.handleIndirectPing(from, m.body);
        return;
      case MessageType.AckResp: {
        const h = this.ackHandlers.get(m.body.seqNo);
        if (h) h.onAck(m.body.payload);
        return;
      }
      case MessageType.NackResp:
        this.ackHandlers.get(m.body.seqNo)?.onNack();
        return;
      case MessageType.Alive:
        this.aliveNode(m.body, false);
        return;
      case MessageType.Suspect:
        this.suspectNode(m.body);
        return;
      case MessageType.Dead:
        this.deadNode(m.body);
        return;
      case MessageType.User:
        this.deps.delegate?.notifyMsg?.(m.body);
        return;
      default:
        return;
    }
  }

  private handleIndirectPing(from: string, req: { seqNo: number; target: Uint8Array; port: number; node: string; nack: boolean; sourceAddr?: Uint8Array | null; sourcePort?: number }): void {
    const replyTo = req.sourceAddr && req.sourceAddr.length > 0 && req.sourcePort ? addressOf(req.sourceAddr, req.sourcePort) : from;
    const seq = this.nextSeq();
    const target = addressOf(req.target, req.port);
    const timer = this.deps.clock.setTimeout(() => {
      this.ackHandlers.delete(seq);
      if (req.nack) this.sendMsg(replyTo, encodeMessage({ type: MessageType.NackResp, body: { seqNo: req.seqNo } }));
    }, this.cfg.probeTimeoutMs);
    this.ackHandlers.set(seq, {
      onAck: () => {
        timer.cancel();
        this.ackHandlers.delete(seq);
        this.sendMsg(replyTo, encodeMessage({ type: MessageType.AckResp, body: { seqNo: req.seqNo, payload: null } }));
      },
      onNack: () => undefined,
    });
    this.sendMsg(target, encodeMessage({ type: MessageType.Ping, body: { seqNo: seq, node: req.node } }));
  }

  private nextSeq(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  // ---- probing ----

  private probe(): void {
    if (this.stopped || this.probing || this.leaving) return;
    const target = this.nextProbeTarget();
    if (!target) return;
    this.probing = true;
    void this.probeNode(target).finally(() => {
      this.probing = false;
    });
  }

  private nextProbeTarget(): Member | undefined {
    for (let tries = 0; tries < this.probeOrder.length + 1; tries++) {
      if (this.probeIndex >= this.probeOrder.length) {
        this.probeIndex = 0;
        this.reclaimDead();
        this.shuffleProbeOrder();
        if (this.probeOrder.length === 0) return undefined;
      }
      const name = this.probeOrder[this.probeIndex++]!;
      const m = this.nodes.get(name);
      if (!m || name === this.cfg.name) continue;
      if (m.state === NodeStateType.Dead || m.state === NodeStateType.Left) continue;
      return m;
    }
    return undefined;
  }

  /** memberlist's resetNodes: forgets dead and left nodes once gossipToTheDead has passed since their death. */
  private reclaimDead(): void {
    const now = this.deps.clock.now();
    for (const [name, m] of this.nodes) {
      if (name === this.cfg.name) continue;
      if ((m.state === NodeStateType.Dead || m.state === NodeStateType.Left) && now - m.stateChange > this.cfg.gossipToTheDeadMs) {
        this.nodes.delete(name);
        if (this.byAddress.get(m.address) === m) this.byAddress.delete(m.address);
      }
    }
  }

  private shuffleProbeOrder(): void {
    const names = [...this.nodes.keys()];
    for (let i = names.length - 1; i > 0; i--) {
      const j = this.deps.random.int(i + 1);
      [names[i], names[j]] = [names[j]!, names[i]!];
    }
    this.probeOrder = names;
  }

  private async probeNode(node: Member): Promise<void> {
    const { clock } = this.deps;
    const probeInterval = this.awareness.scaleTimeout(this.cfg.probeIntervalMs);
    const seq = this.nextSeq();
    const sent = clock.now();
    let acked = false;
    let nacks = 0;
    let settle: () => void = () => undefined;
    const done = new Promise<void>((r) => (settle = r));
    this.ackHandlers.set(seq, {
      onAck: (payload) => {
        if (acked) return;
        acked = true;
        this.deps.delegate?.notifyPingComplete?.({ ...node }, clock.now() - sent, payload);
        settle();
      },
      onNack: () => {
        nacks++;
      },
    });
    const ping = encodeMessage({ type: MessageType.Ping, body: { seqNo: seq, node: node.name } });
    if (node.state === NodeStateType.Suspect && this.cfg.lifeguard) {
      // Lifeguard's buddy system: tell a suspect node it is suspected, so it can refute at once.
      const suspect = encodeMessage({ type: MessageType.Suspect, body: { incarnation: node.incarnation, node: node.name, from: this.cfg.name } });
      this.rawSend(node.address, makeCompoundMessage([ping, suspect]));
    } else {
      this.sendMsg(node.address, ping);
    }
    const wait = (ms: number): Promise<void> =>
      new Promise((r) => {
        const t = clock.setTimeout(r, ms);
        void done.then(() => {
          t.cancel();
          r();
        });
      });
    await wait(this.awareness.scaleTimeout(this.cfg.probeTimeoutMs));
    if (acked) {
      this.ackHandlers.delete(seq);
      this.awareness.applyDelta(-1);
      return;
    }
    // Indirect probes through up to k other live members, and the TCP fallback.
    const peers = this.randomMembers(this.cfg.indirectChecks, (m) => m.name !== node.name && m.state === NodeStateType.Alive);
    const self = parseAddress(this.advertise);
    for (const p of peers) {
      this.sendMsg(
        p.address,
        encodeMessage({
          type: MessageType.IndirectPing,
          body: { seqNo: seq, target: node.addr, port: node.port, node: node.name, nack: this.askNack(p), sourceAddr: self.addr, sourcePort: self.port, sourceNode: this.cfg.name },
        }),
      );
    }
    const expectedNacks = peers.filter((p) => this.askNack(p)).length;
    const tcpOk = this.deps.connections ? this.tcpPing(node, seq, Math.max(0, probeInterval - this.cfg.probeTimeoutMs)) : Promise.resolve(false);
    await wait(Math.max(0, probeInterval - this.cfg.probeTimeoutMs));
    this.ackHandlers.delete(seq);
    if (!acked && (await tcpOk)) acked = true;
    if (this.stopped) return;
    if (acked) return;
    this.awareness.applyDelta(1 + Math.max(0, expectedNacks - nacks));
    const current = this.nodes.get(node.name);
    if (!current) return;
    this.suspectNode({ incarnation: current.incarnation, node: node.name, from: this.cfg.name });
  }

  /** Whether an indirect probe through `peer` asks for a nack (Lifeguard; protocol 4 and up). */
  private askNack(peer: Member): boolean {
    return this.cfg.lifeguard && (peer.vsn[1] ?? 0) >= 4;
  }

  private async tcpPing(node: Member, seq: number, timeoutMs: number): Promise<boolean> {
    try {
      const reply = await this.streamExchange(node.address, { type: MessageType.Ping, body: { seqNo: seq, node: node.name } }, timeoutMs);
      return reply.type === MessageType.AckResp && reply.body.seqNo === seq;
    } catch {
      return false;
    }
  }

  /** Up to `k` distinct random members other than us that `keep` accepts: memberlist's kRandomNodes (up to 3n random draws, so O(k) in a large pool, exhaustive in a small one). */
  private randomMembers(k: number, keep: (m: Member) => boolean): Member[] {
    const names = this.probeOrder;
    const n = names.length;
    const out: Member[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const m = this.nodes.get(names[this.deps.random.int(n)]!);
      if (!m || m.name === this.cfg.name || !keep(m) || out.includes(m)) continue;
      out.push(m);
    }
    return out;
  }

  // ---- gossip ----

  private gossip(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const targets = this.randomMembers(this.cfg.gossipNodes, (m) => {
      if (m.state === NodeStateType.Alive || m.state === NodeStateType.Suspect) return true;
      return m.state === NodeStateType.Dead && now - m.stateChange <= this.cfg.gossipToTheDeadMs;
    });
    for (const t of targets) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, this.packetLimit() - COMPOUND_HEADER_OVERHEAD);
      if (msgs.length === 0) return;
      this.rawSend(t.address, msgs.length === 1 ? msgs[0]! : makeCompoundMessage(msgs));
    }
  }

  // ---- state changes (state.go aliveNode / suspectNode / deadNode) ----

  private refute(incarnation: number): void {
    this.incarnation = Math.max(this.incarnation, incarnation) + 1;
    const self = this.nodes.get(this.cfg.name)!;
    self.incarnation = this.incarnation;
    const { addr, port } = parseAddress(this.advertise);
    this.broadcast(this.cfg.name, { type: MessageType.Alive, body: { incarnation: this.incarnation, node: this.cfg.name, addr, port, meta: self.meta, vsn: this.vsn } });
    this.awareness.applyDelta(1);
  }

  private aliveNode(a: Alive, bootstrap: boolean): void {
    const isLocal = a.node === this.cfg.name;
    if (this.leaving && isLocal) return;
    const addr = a.addr ?? new Uint8Array(0);
    let m = this.nodes.get(a.node);
    if (!m) {
      m = {
        name: a.node,
        address: addressOf(addr, a.port),
        addr,
        port: a.port,
        meta: a.meta ?? new Uint8Array(0),
        incarnation: 0,
        state: NodeStateType.Dead,
        stateChange: this.deps.clock.now(),
        vsn: a.vsn ?? new Uint8Array(6),
      };
      this.nodes.set(a.node, m);
      this.byAddress.set(m.address, m);
      // A random position in the probe order, as memberlist inserts new nodes.
      const at = this.probeOrder.length === 0 ? 0 : this.deps.random.int(this.probeOrder.length + 1);
      this.probeOrder.splice(at, 0, a.node);
    } else if (m.address !== addressOf(addr, a.port) && (m.state === NodeStateType.Alive || m.state === NodeStateType.Suspect)) {
      // Another node claims a live member's name: ignore it and tell the conflict delegate (memberlist's aliveNode).
      this.deps.logger.error('memberlist: conflicting address', { node: a.node, mine: m.address, theirs: addressOf(addr, a.port) });
      const other: Member = { ...m, address: addressOf(addr, a.port), addr, port: a.port, meta: a.meta ?? new Uint8Array(0) };
      this.deps.delegate?.notifyConflict?.({ ...m }, other);
      return;
    }
    if (isLocal && !bootstrap) {
      // Someone else speaks for us: refute unless it is exactly what we said.
      if (a.incarnation < this.incarnation) return;
      const same = m.address === addressOf(addr, a.port) && Buffer.from(m.meta).equals(Buffer.from(a.meta ?? []));
      if (a.incarnation === this.incarnation && same) return;
      this.refute(a.incarnation);
      return;
    }
    const revive = m.state === NodeStateType.Dead || m.state === NodeStateType.Left;
    if (!bootstrap && a.incarnation <= m.incarnation && !(revive && a.incarnation === m.incarnation && m.address !== addressOf(addr, a.port))) return;
    this.suspicions.get(a.node)?.cancel();
    this.suspicions.delete(a.node);
    this.broadcast(a.node, { type: MessageType.Alive, body: a });
    const metaChanged = !Buffer.from(m.meta).equals(Buffer.from(a.meta ?? []));
    m.incarnation = a.incarnation;
    m.meta = a.meta ?? new Uint8Array(0);
    m.addr = addr;
    m.port = a.port;
    if (this.byAddress.get(m.address) === m) this.byAddress.delete(m.address);
    m.address = addressOf(addr, a.port);
    this.byAddress.set(m.address, m);
    if (a.vsn && a.vsn.length >= 6) m.vsn = a.vsn;
    if (m.state !== NodeStateType.Alive) {
      this.setState(m, NodeStateType.Alive);
      m.stateChange = this.deps.clock.now();
    }
    if (revive) this.deps.events?.onJoin?.({ ...m });
    else if (metaChanged) this.deps.events?.onUpdate?.({ ...m });
  }

  private suspectNode(s: Suspect): void {
    const m = this.nodes.get(s.node);
    if (!m || s.incarnation < m.incarnation) return;
    const existing = this.suspicions.get(s.node);
    if (existing) {
      if (existing.confirm(s.from)) this.broadcast(s.node, { type: MessageType.Suspect, body: s });
      return;
    }
    if (m.state !== NodeStateType.Alive) return;
    if (s.node === this.cfg.name) {
      if (!this.leaving) this.refute(s.incarnation);
      return;
    }
    this.broadcast(s.node, { type: MessageType.Suspect, body: s });
    m.incarnation = s.incarnation;
    this.setState(m, NodeStateType.Suspect);
    m.stateChange = this.deps.clock.now();
    const n = this.numMembers();
    let k = this.cfg.suspicionMult - 2;
    if (n - 2 < k || !this.cfg.lifeguard) k = 0;
    const min = suspicionTimeout(this.cfg.suspicionMult, n, this.cfg.probeIntervalMs);
    const max = this.cfg.suspicionMaxTimeoutMult * min;
    const incarnation = s.incarnation;
    this.suspicions.set(
      s.node,
      new Suspicion(this.deps.clock, s.from, k, min, max, () => {
        const cur = this.nodes.get(s.node);
        if (!cur || cur.state !== NodeStateType.Suspect || cur.incarnation !== incarnation) return;
        this.deps.logger.info('memberlist: marking node as failed, suspect timeout reached', { node: s.node });
        this.deadNode({ incarnation, node: s.node, from: this.cfg.name });
      }),
    );
  }

  private deadNode(d: Dead): void {
    const m = this.nodes.get(d.node);
    if (!m || d.incarnation < m.incarnation) return;
    this.suspicions.get(d.node)?.cancel();
    this.suspicions.delete(d.node);
    if (m.state === NodeStateType.Dead || m.state === NodeStateType.Left) return;
    if (d.node === this.cfg.name && !this.leaving) {
      this.refute(d.incarnation);
      return;
    }
    this.broadcast(d.node, { type: MessageType.Dead, body: d });
    m.incarnation = d.incarnation;
    this.setState(m, d.node === d.from ? NodeStateType.Left : NodeStateType.Dead);
    m.stateChange = this.deps.clock.now();
    this.deps.events?.onLeave?.({ ...m });
  }

  private mergeState(remote: PushNodeState[]): void {
    for (const r of remote) {
      switch (r.state) {
        case NodeStateType.Alive:
          this.aliveNode({ incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }, false);
          break;
        case NodeStateType.Left:
          this.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        default:
          // Dead or suspect elsewhere: we only suspect it (memberlist lets our own probes decide).
          this.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.cfg.name });
      }
    }
  }

  // ---- streams: push/pull, TCP ping, user messages ----

  private schedulePushPull(): void {
    const n = this.numMembers();
    // memberlist's pushPullScale: doubles per doubling of the cluster above 32 nodes.
    const scale = n <= 32 ? 1 : Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
    const t = this.deps.clock.setTimeout(() => {
      const [peer] = this.randomMembers(1, (m) => m.state === NodeStateType.Alive);
      if (peer) void this.pushPullNode(peer.address, false).catch((e: Error) => this.deps.logger.debug('memberlist: push/pull failed', { peer: peer.address, error: e.message }));
      if (!this.stopped) this.schedulePushPull();
    }, this.cfg.pushPullIntervalMs * scale);
    this.timers.push(t);
  }

  private localState(join: boolean): StreamMessage {
    const states: PushNodeState[] = [...this.nodes.values()].map((m) => ({ name: m.name, addr: m.addr, port: m.port, meta: m.meta, incarnation: m.incarnation, state: m.state, vsn: m.vsn }));
    const user = this.deps.delegate?.localState?.(join) ?? null;
    return { type: MessageType.PushPull, header: { nodes: states.length, userStateLen: user?.length ?? 0, join }, states, userState: user };
  }

  private async pushPullNode(address: string, join: boolean): Promise<void> {
    const reply = await this.streamExchange(address, this.localState(join), this.cfg.tcpTimeoutMs);
    if (reply.type === MessageType.Err) throw new SextantError(ErrorCode.TransportFailed, `remote error: ${reply.body.error}`);
    if (reply.type !== MessageType.PushPull) throw new SextantError(ErrorCode.TransportFailed, `received invalid msgType (${reply.type}), expected pushPullMsg (6)`);
    verifyProtocol(reply.states, [...this.nodes.values()]);
    this.mergeState(reply.states);
    if (reply.userState) this.deps.delegate?.mergeRemoteState?.(reply.userState, join);
  }

  private seal(msg: StreamMessage): Uint8Array {
    const keyring = this.cfg.keyring;
    return sealStream(encodeStreamMessage(msg), { compress: this.cfg.enableCompression, keyring, ...this.verify, nonce: keyring?.primaryKey() ? this.deps.random.bytes(12) : undefined });
  }

  private streamExchange(address: string, msg: StreamMessage, timeoutMs: number): Promise<StreamMessage> {
    const connections = this.deps.connections;
    if (!connections) return Promise.reject(new SextantError(ErrorCode.TransportFailed, 'no connection transport'));
    return new Promise<StreamMessage>((resolve, reject) => {
      let conn: RawConnection | undefined;
      let finished = false;
      const finish = (err: Error | undefined, m?: StreamMessage): void => {
        if (finished) return;
        finished = true;
        timer.cancel();
        conn?.close();
        if (err) reject(err);
        else resolve(m!);
      };
      const timer = this.deps.clock.setTimeout(() => finish(new SextantError(ErrorCode.Timeout, `stream to ${address} timed out`)), timeoutMs);
      connections.dial(address, timeoutMs).then(
        (c) => {
          conn = c;
          if (finished) return c.close();
          const reader = new StreamMessageReader({ keyring: this.cfg.keyring, ...this.verify });
          c.onData((chunk) => {
            try {
              reader.push(chunk);
              const m = reader.read();
              if (m) finish(undefined, m);
            } catch (e) {
              finish(e as Error);
            }
          });
          c.onClose(() => finish(new SextantError(ErrorCode.TransportFailed, `stream to ${address} closed early`)));
          c.write(this.seal(msg));
        },
        (e: Error) => finish(e),
      );
    });
  }

  private handleConn(conn: RawConnection): void {
    if (this.stopped) return conn.close();
    const reader = new StreamMessageReader({ keyring: this.cfg.keyring, ...this.verify });
    let handled = false;
    const timer = this.deps.clock.setTimeout(() => conn.close(), this.cfg.tcpTimeoutMs);
    conn.onClose(() => timer.cancel());
    conn.onData((chunk) => {
      if (handled) return;
      let m: StreamMessage | undefined;
      try {
        reader.push(chunk);
        m = reader.read();
      } catch (e) {
        handled = true;
        conn.write(this.seal({ type: MessageType.Err, body: { error: (e as Error).message } }));
        conn.close();
        return;
      }
      if (!m) return;
      handled = true;
      switch (m.type) {
        case MessageType.PushPull:
          conn.write(this.seal(this.localState(m.header.join)));
          try {
            verifyProtocol(m.states, [...this.nodes.values()]);
          } catch (e) {
            this.deps.logger.warn('memberlist: failed push/pull merge', { from: conn.remoteAddress, error: (e as Error).message });
            break;
          }
          this.mergeState(m.states);
          if (m.userState) this.deps.delegate?.mergeRemoteState?.(m.userState, m.header.join);
          break;
        case MessageType.Ping:
          if (m.body.node === '' || m.body.node === this.cfg.name) conn.write(this.seal({ type: MessageType.AckResp, body: { seqNo: m.body.seqNo, payload: null } }));
          break;
        case MessageType.User:
          this.deps.delegate?.notifyMsg?.(m.body);
          break;
        default:
          break;
      }
      conn.close();
    });
  }
}
