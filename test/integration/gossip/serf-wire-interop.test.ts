/**
 * Wire interop of the memberlist codec with HashiCorp's real `serf` agent (Debian package
 * `serf`): over real UDP/TCP sockets on 127.0.0.1 with ephemeral ports, we ping it and decode
 * its ack, join it by a push/pull (sent LZW-compressed, so Go's compress/lzw must read our
 * encoder's output) and decode its compressed answer, answer its probes so `serf members` lists
 * us alive with our serf tags, and decode its leave (a dead message about itself) — plain and
 * with an AES-GCM key.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/gossip/memberlist/keyring.js';
import { encodeMessage, type Message, MessageType, NodeStateType } from '../../../src/gossip/memberlist/messages.js';
import { decodeMsgpack, MsgpackWriter } from '../../../src/gossip/memberlist/msgpack.js';
import { openPacket, type PacketSecurity, sealPacket } from '../../../src/gossip/memberlist/packet-codec.js';
import { encodeStreamMessage, sealStream, type StreamMessage, StreamMessageReader } from '../../../src/gossip/memberlist/stream-codec.js';
import { SERF, type SerfProcess, startSerfProcess } from '../../support/serf-process.js';

const run = promisify(execFile);
const KEY = Buffer.from('sextant-gossip16'); // 16 bytes: AES-128
const VSN = Uint8Array.from([1, 5, 2, 2, 5, 4]); // memberlist 1..5 cur 2, serf 2..5 cur 4

/** serf's encodeTags: magic byte 255 then a msgpack map of strings. */
function encodeSerfTags(tags: Record<string, string>): Uint8Array {
  const w = new MsgpackWriter().byte(255).map(Object.keys(tags).length);
  for (const [k, v] of Object.entries(tags)) w.str(k).str(v);
  return w.finish();
}
function decodeSerfTags(meta: Uint8Array | null): Record<string, string> {
  if (!meta || meta[0] !== 255) return {};
  const m = decodeMsgpack(meta, 1).value as Map<string, Uint8Array>;
  return Object.fromEntries([...m].map(([k, v]) => [k, Buffer.from(v).toString()]));
}

const children: ChildProcess[] = [];
const sockets: Array<{ close(): void }> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.close();
});

function startSerf(name: string, encrypt: boolean): Promise<SerfProcess> {
  const args = ['-log-level', 'debug', '-tag', 'role=serf', ...(encrypt ? ['-encrypt', KEY.toString('base64')] : [])];
  return startSerfProcess(name, args, (p) => children.push(p));
}

/** Our side: one UDP socket that answers serf's probes and records every message it decodes. */
async function startPeer(name: string, sec: PacketSecurity): Promise<{ port: number; send: (to: number, m: Message) => void; received: Message[]; dropped: () => number }> {
  const sock = dgram.createSocket('udp4');
  sockets.push(sock);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const received: Message[] = [];
  let dropped = 0;
  const send = (to: number, m: Message): void => {
    sock.send(sealPacket(encodeMessage(m), { ...sec, crc: true, nonce: new Uint8Array(Buffer.from(Array.from({ length: 12 }, (_, i) => (i * 37 + received.length) & 0xff))) }), to, '127.0.0.1');
  };
  sock.on('message', (buf, rinfo) => {
    let opened;
    try {
      opened = openPacket(new Uint8Array(buf), sec);
    } catch {
      dropped++;
      return;
    }
    dropped += opened.dropped;
    for (const m of opened.messages) {
      received.push(m);
      if (m.type === MessageType.Ping && m.body.node === name) send(rinfo.port, { type: MessageType.AckResp, body: { seqNo: m.body.seqNo, payload: null } });
    }
  });
  return { port, send, received, dropped: () => dropped };
}

async function pushPull(serfPort: number, msg: StreamMessage, sec: PacketSecurity): Promise<StreamMessage> {
  const conn = net.connect(serfPort, '127.0.0.1');
  sockets.push({ close: () => conn.destroy() });
  const reader = new StreamMessageReader(sec);
  return new Promise((resolve, reject) => {
    conn.on('error', reject);
    conn.on('connect', () => conn.write(sealStream(encodeStreamMessage(msg), { ...sec, compress: true, nonce: new Uint8Array(12).fill(5) })));
    conn.on('data', (d: Buffer) => {
      reader.push(new Uint8Array(d));
      try {
        const m = reader.read();
        if (m) resolve(m);
      } catch (e) {
        reject(e);
      }
    });
    conn.on('end', () => reject(new Error('serf closed the stream before a full answer')));
  });
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!existsSync(SERF))(`memberlist wire codec against the real serf agent (${existsSync(SERF) ? SERF : 'skipped: /usr/bin/serf is absent; install the Debian package "serf"'})`, () => {
  for (const encrypt of [false, true]) {
    it(`${encrypt ? 'encrypted (AES-GCM key)' : 'plain'}: ping/ack, push/pull join, serf lists us alive with our tags, leave reaches us as a dead message`, async () => {
      const sec: PacketSecurity = encrypt ? { keyring: new Keyring(new Uint8Array(KEY)) } : {};
      const serf = await startSerf('serf1', encrypt);
      const me = await startPeer('sx1', sec);

      // 1. A UDP ping by name is acked with the same sequence number and serf's coordinate payload (PingVersion 1).
      me.send(serf.port, { type: MessageType.Ping, body: { seqNo: 4242, node: 'serf1' } });
      await until('the ack of our ping', () => me.received.some((m) => m.type === MessageType.AckResp && m.body.seqNo === 4242));
      const ack = me.received.find((m) => m.type === MessageType.AckResp && m.body.seqNo === 4242);
      expect(ack?.type === MessageType.AckResp && ack.body.payload?.[0]).toBe(1);

      // 2. Join: our compressed push/pull is accepted; serf answers with its own state (compressed) and its serf user state.
      const answer = await pushPull(
        serf.port,
        {
          type: MessageType.PushPull,
          header: { nodes: 1, userStateLen: 0, join: true },
          states: [{ name: 'sx1', addr: Uint8Array.from([127, 0, 0, 1]), port: me.port, meta: encodeSerfTags({ role: 'sextant', dc: 'dc1' }), incarnation: 1, state: NodeStateType.Alive, vsn: VSN }],
          userState: null,
        },
        sec,
      );
      expect(answer.type).toBe(MessageType.PushPull);
      if (answer.type !== MessageType.PushPull) return;
      const serfState = answer.states.find((s) => s.name === 'serf1');
      expect(serfState).toMatchObject({ port: serf.port, state: NodeStateType.Alive });
      expect(Array.from(serfState!.addr ?? [])).toEqual([127, 0, 0, 1]);
      expect(decodeSerfTags(serfState!.meta)).toEqual({ role: 'serf' });
      expect(serfState!.vsn?.length).toBe(6);
      expect(answer.userState?.length ?? 0).toBeGreaterThan(0);

      // 3. serf probes us (we ack) and lists us alive with the tags we sent.
      await until('serf members shows sx1 alive', async () => {
        const { stdout } = await run(SERF, ['members', '-rpc-addr', serf.rpc]);
        return /sx1\s+127\.0\.0\.1:\d+\s+alive\s+.*role=sextant/.test(stdout);
      });
      await until('a probe from serf', () => me.received.some((m) => m.type === MessageType.Ping && m.body.node === 'sx1'));
      await new Promise((r) => setTimeout(r, 2500)); // a few probe rounds: still alive (our acks are read)
      const { stdout } = await run(SERF, ['members', '-rpc-addr', serf.rpc, '-format', 'json']);
      const members = (JSON.parse(stdout) as { members: Array<{ name: string; status: string; tags: Record<string, string> }> }).members;
      expect(members.find((m) => m.name === 'sx1')).toMatchObject({ status: 'alive', tags: { role: 'sextant', dc: 'dc1' } });

      // 4. A graceful leave reaches us as memberlist's dead message about itself.
      await run(SERF, ['leave', '-rpc-addr', serf.rpc]);
      await until('the leave (dead from serf1 about serf1)', () => me.received.some((m) => m.type === MessageType.Dead && m.body.node === 'serf1' && m.body.from === 'serf1'));
      expect(me.dropped()).toBe(0);
    });
  }

  it('an encrypted serf ignores a plaintext ping and one sealed with another key', async () => {
    const serf = await startSerf('serf2', true);
    const plain = await startPeer('sx2', {});
    const wrong = await startPeer('sx3', { keyring: new Keyring(new Uint8Array(16).fill(9)) });
    // The pool key as primary, another as secondary: serf's acks decrypt with either.
    const good = await startPeer('sx5', { keyring: new Keyring(new Uint8Array(KEY), [new Uint8Array(16).fill(9)]) });
    plain.send(serf.port, { type: MessageType.Ping, body: { seqNo: 1, node: 'serf2' } });
    wrong.send(serf.port, { type: MessageType.Ping, body: { seqNo: 2, node: 'serf2' } });
    good.send(serf.port, { type: MessageType.Ping, body: { seqNo: 3, node: 'serf2' } });
    await until('the ack of the correctly keyed ping', () => good.received.some((m) => m.type === MessageType.AckResp && m.body.seqNo === 3));
    await new Promise((r) => setTimeout(r, 300));
    expect(plain.received).toEqual([]);
    expect(wrong.received).toEqual([]);
  });
});
