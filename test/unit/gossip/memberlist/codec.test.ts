import { describe, expect, it } from 'vitest';
import { makeCompoundMessage, packMessages, decodeCompoundMessage } from '../../../../src/gossip/memberlist/compound.js';
import { crc32Ieee } from '../../../../src/gossip/memberlist/crc32.js';
import { Keyring } from '../../../../src/gossip/memberlist/keyring.js';
import { lzwCompress, lzwDecompress } from '../../../../src/gossip/memberlist/lzw.js';
import { decodeMessage, encodeMessage, type Message, MessageType } from '../../../../src/gossip/memberlist/messages.js';
import { decodeMsgpack, MsgpackWriter } from '../../../../src/gossip/memberlist/msgpack.js';
import { openPacket, sealPacket } from '../../../../src/gossip/memberlist/packet-codec.js';
import { decryptPayload, encryptedLength, encryptPayload } from '../../../../src/gossip/memberlist/security.js';
import { encodeStreamMessage, sealStream, type StreamMessage, StreamMessageReader } from '../../../../src/gossip/memberlist/stream-codec.js';
import { retransmitLimit, suspicionTimeout } from '../../../../src/gossip/memberlist/timing.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');
const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

describe('go-msgpack dialect', () => {
  it('writes a ping exactly as go-msgpack MsgpackHandle{} does (fixmap, fixraw keys, positive fixint)', () => {
    const b = encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: 'a' } });
    expect(hex(b)).toBe('00' + '82' + 'a5' + ascii('SeqNo') + '01' + 'a4' + ascii('Node') + 'a1' + ascii('a'));
  });

  it('writes strings of 32..65535 bytes as raw16 (0xda), never str8, and nil slices as nil', () => {
    const w = new MsgpackWriter().str('x'.repeat(40)).bytes(null).bytes(new Uint8Array(300));
    const out = w.finish();
    expect(out[0]).toBe(0xda);
    expect((out[1]! << 8) | out[2]!).toBe(40);
    expect(out[43]).toBe(0xc0);
    expect(out[44]).toBe(0xda);
  });

  it('writes integers in the smallest unsigned form and reads every width back', () => {
    const w = new MsgpackWriter().int(127).int(128).int(65535).int(65536).int(-1).int(-200);
    expect(hex(w.finish())).toBe('7f' + 'cc80' + 'cdffff' + 'ce00010000' + 'ff' + 'd1ff38');
    let p = 0;
    const vals: unknown[] = [];
    const buf = w.finish();
    while (p < buf.length) {
      const r = decodeMsgpack(buf, p);
      vals.push(r.value);
      p = r.end;
    }
    expect(vals).toEqual([127, 128, 65535, 65536, -1, -200]);
  });

  it('reads the newer spec (str8, bin8) that a peer built on a newer codec may send', () => {
    const r = decodeMsgpack(bytes(0x82, 0xd9, 4, ...Buffer.from('Node'), 0xa1, 0x62, 0xa5, ...Buffer.from('SeqNo'), 0xc4, 1, 9));
    const m = r.value as Map<string, unknown>;
    expect(Buffer.from(m.get('Node') as Uint8Array).toString()).toBe('b');
    expect(Array.from(m.get('SeqNo') as Uint8Array)).toEqual([9]);
  });
});

describe('messages', () => {
  const samples: Message[] = [
    { type: MessageType.Ping, body: { seqNo: 4294967295, node: 'n1', sourceAddr: bytes(127, 0, 0, 1), sourcePort: 8301, sourceNode: 'me' } },
    { type: MessageType.IndirectPing, body: { seqNo: 9, target: bytes(10, 0, 0, 2), port: 8301, node: 'n2', nack: true } },
    { type: MessageType.AckResp, body: { seqNo: 9, payload: bytes(1, 2, 3) } },
    { type: MessageType.AckResp, body: { seqNo: 10, payload: null } },
    { type: MessageType.NackResp, body: { seqNo: 9 } },
    { type: MessageType.Suspect, body: { incarnation: 3, node: 'n2', from: 'n1' } },
    { type: MessageType.Alive, body: { incarnation: 3, node: 'n2', addr: bytes(10, 0, 0, 2), port: 8301, meta: bytes(255, 0x80), vsn: bytes(1, 5, 2, 2, 5, 4) } },
    { type: MessageType.Dead, body: { incarnation: 3, node: 'n2', from: 'n2' } },
    { type: MessageType.User, body: bytes(1, 2, 3, 4) },
    { type: MessageType.Err, body: { error: 'nope' } },
  ];

  it('round-trips every packet message type', () => {
    for (const m of samples) expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('leaves omitempty ping fields out', () => {
    const b = encodeMessage({ type: MessageType.Ping, body: { seqNo: 1, node: 'x' } });
    expect(Buffer.from(b).includes(Buffer.from('SourceAddr'))).toBe(false);
  });

  it('packs messages into compounds that fit the packet size and splits them back', () => {
    const msgs = samples.map(encodeMessage);
    const packets = packMessages([...msgs, ...msgs, ...msgs], 200);
    expect(packets.length).toBeGreaterThan(1);
    const out: Message[] = [];
    for (const p of packets) {
      expect(p.length).toBeLessThanOrEqual(200);
      out.push(...openPacket(p).messages);
    }
    expect(out).toEqual([...samples, ...samples, ...samples]);
  });

  it('reports compound parts cut off by a truncated packet', () => {
    const c = makeCompoundMessage([bytes(1, 2), bytes(3, 4, 5)]);
    const r = decodeCompoundMessage(c.subarray(1, c.length - 1));
    expect(r.parts.map((p) => Array.from(p))).toEqual([[1, 2]]);
    expect(r.truncated).toBe(1);
  });
});

describe('CRC, LZW, AES-GCM', () => {
  it('computes IEEE CRC-32 as Go crc32.ChecksumIEEE', () => {
    expect(crc32Ieee(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips LZW through table resets (more than 4096 codes)', () => {
    let seed = 7;
    const rnd = new Uint8Array(40_000).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0x0f);
    for (const input of [new Uint8Array(0), bytes(65), Buffer.from('TOBEORNOTTOBEORTOBEORNOT'), new Uint8Array(10_000).fill(97), rnd]) {
      expect(Array.from(lzwDecompress(lzwCompress(input)))).toEqual(Array.from(input));
    }
  });

  it('starts with a clear code and ends with EOF as Go compress/lzw LSB/8 (9-bit codes)', () => {
    // "a" → clear(256), 'a'(97), eof(257): 9 bits each, LSB first.
    expect(hex(lzwCompress(bytes(97)))).toBe('00c30404');
  });

  it('seals and opens frames of both versions; secondaries decrypt; a wrong key does not', () => {
    const k1 = new Uint8Array(16).fill(1);
    const k2 = new Uint8Array(32).fill(2);
    const nonce = new Uint8Array(12).fill(9);
    for (const vsn of [0, 1] as const) {
      const f = encryptPayload(vsn, k1, nonce, Buffer.from('hello'), bytes(10, 0, 0, 0, 1));
      expect(f.length).toBe(encryptedLength(vsn, 5));
      expect(f[0]).toBe(vsn);
      expect(Buffer.from(decryptPayload([k2, k1], f, bytes(10, 0, 0, 0, 1))).toString()).toBe('hello');
      expect(() => decryptPayload([k2], f, bytes(10, 0, 0, 0, 1))).toThrow(/No installed keys/);
      expect(() => decryptPayload([k1], f)).toThrow(/No installed keys/);
    }
  });

  it('frames packets with CRC, compression and encryption and opens them', () => {
    const ring = new Keyring(new Uint8Array(16).fill(3));
    const msg = encodeMessage({ type: MessageType.User, body: new Uint8Array(500).fill(7) });
    const sealed = sealPacket(msg, { compress: true, crc: true, keyring: ring, nonce: new Uint8Array(12) });
    expect(sealed.length).toBeLessThan(msg.length);
    expect(openPacket(sealed, { keyring: ring }).messages).toEqual([{ type: MessageType.User, body: new Uint8Array(500).fill(7) }]);
    const plainCrc = sealPacket(msg, { crc: true });
    expect(plainCrc[0]).toBe(MessageType.HasCrc);
    plainCrc[10] ^= 1;
    expect(() => openPacket(plainCrc)).toThrow(/CRC/);
    expect(() => openPacket(sealPacket(msg, {}), { keyring: ring })).toThrow();
    expect(openPacket(sealPacket(msg, {}), { keyring: ring, verifyIncoming: false }).messages).toHaveLength(1);
  });
});

describe('stream plane', () => {
  const pushPull: StreamMessage = {
    type: MessageType.PushPull,
    header: { nodes: 2, userStateLen: 3, join: true },
    states: [
      { name: 'a', addr: bytes(127, 0, 0, 1), port: 7946, meta: null, incarnation: 1, state: 0, vsn: bytes(1, 5, 2, 2, 5, 4) },
      { name: 'b', addr: bytes(127, 0, 0, 2), port: 7946, meta: bytes(1), incarnation: 7, state: 2, vsn: bytes(1, 5, 2, 2, 5, 4) },
    ],
    userState: bytes(5, 6, 7),
  };

  it('reads a push/pull arriving one byte at a time, plain, compressed and encrypted', () => {
    const ring = new Keyring(new Uint8Array(24).fill(4));
    for (const opts of [{}, { compress: true }, { compress: true, keyring: ring, nonce: new Uint8Array(12).fill(1) }]) {
      const wire = sealStream(encodeStreamMessage(pushPull), opts);
      const r = new StreamMessageReader(opts);
      let got;
      for (let i = 0; i < wire.length; i++) {
        expect(got).toBeUndefined();
        r.push(wire.subarray(i, i + 1));
        got = r.read();
      }
      expect(got).toEqual(pushPull);
    }
  });

  it('refuses an unencrypted stream when a key is configured', () => {
    const r = new StreamMessageReader({ keyring: new Keyring(new Uint8Array(16)) });
    r.push(encodeStreamMessage({ type: MessageType.Ping, body: { seqNo: 1, node: 'x' } }));
    expect(() => r.read()).toThrow(/not encrypted/);
  });
});

describe('timing formulas (util.go)', () => {
  it('scales retransmits and suspicion with the cluster size', () => {
    expect([1, 9, 10, 99, 100, 1000].map((n) => retransmitLimit(4, n))).toEqual([4, 4, 8, 8, 12, 16]);
    expect(suspicionTimeout(4, 1, 1000)).toBe(4000);
    expect(suspicionTimeout(4, 100, 1000)).toBe(8000);
    expect(suspicionTimeout(4, 1000, 1000)).toBe(12000);
  });
});
