import * as dnsPacket from 'dns-packet';
import type { Question } from 'dns-packet';

/** A decoded record, loosely typed for assertions. */
export interface LooseRR {
  name: string;
  type: string;
  ttl?: number;
  data?: unknown;
  [k: string]: unknown;
}

/** A decoded message, loosely typed for assertions. */
export interface LoosePacket {
  id?: number;
  rcode?: string;
  flag_qr: boolean;
  flag_aa: boolean;
  flag_tc: boolean;
  flag_rd: boolean;
  flag_ra: boolean;
  questions?: Question[];
  answers?: LooseRR[];
  authorities?: LooseRR[];
  additionals?: LooseRR[];
}
import type { RegisterRequest } from '../../../contracts/model/catalog.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { CatalogEndpoint } from '../../../src/rpc/catalog-endpoint.js';
import { CatalogResolver } from '../../../src/rpc/catalog-resolver.js';
import { StateStore } from '../../../src/state/state-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { DnsResponder, type DnsTransport } from '../../../plugins/surface-dns/dns-responder.js';
import { dnsSettingsFrom, type DnsSettings } from '../../../plugins/surface-dns/dns-settings.js';
import { FastShuffle } from '../../../plugins/surface-dns/fast-shuffle.js';
import { RecursorClient } from '../../../plugins/surface-dns/recursor-client.js';
import { FakeRaft } from '../rpc/fake-raft.js';

/** What a test may vary in the agent config the DNS surface reads. */
export interface DnsTestConfig {
  domain?: string;
  altDomain?: string;
  recursors?: string[];
  dnsConfig?: Record<string, unknown>;
}

/** A RuntimeConfig with just what the DNS surface reads. */
export function dnsRuntimeConfig(c: DnsTestConfig = {}): RuntimeConfig {
  return {
    domain: c.domain ?? 'consul.',
    altDomain: c.altDomain ?? '',
    datacenter: 'dc1',
    nodeName: 'agent-one',
    advertiseAddr: '127.0.0.1',
    recursors: c.recursors ?? [],
    clientAddrs: ['127.0.0.1'],
    ports: { dns: 0 },
    extra: { dns_config: c.dnsConfig ?? {} },
  } as unknown as RuntimeConfig;
}

/** Options of one question. */
export interface AskOptions {
  /** EDNS payload size; undefined sends no OPT. */
  edns?: number;
  transport?: DnsTransport;
  id?: number;
  /** Extra OPT options. */
  ednsOptions?: unknown[];
}

/**
 * A DnsResponder over a real StateStore + CatalogResolver (Raft faked: proposals apply at once),
 * seeded shuffling and a manual clock; questions go in as dns-packet-encoded wire messages and
 * answers come back decoded by dns-packet (an independent decoder of the surface's encoder).
 */
export function dnsHarness(c: DnsTestConfig = {}) {
  const store = new StateStore();
  const raft = new FakeRaft(store);
  const clock = new ManualClock(1_800_000_000_000);
  const deps = { store, raft, clock, config: { datacenter: 'dc1', defaultQueryTimeMs: 300_000, maxQueryTimeMs: 600_000 } };
  const catalog = new CatalogEndpoint(deps);
  const resolver = new CatalogResolver(deps);
  const logs: string[] = [];
  const logger = TextLogger.create({ level: 'debug', sink: (l) => logs.push(l), clock });
  let settings: DnsSettings = dnsSettingsFrom(dnsRuntimeConfig(c));
  const shuffle = new FastShuffle(new SeededRandom(7));
  const responder = new DnsResponder({
    resolver,
    settings: () => settings,
    clock,
    shuffle,
    recursors: new RecursorClient(new SystemClock(), shuffle, logger),
    logger,
  });

  async function raw(msg: Uint8Array, transport: DnsTransport = 'udp'): Promise<Buffer | undefined> {
    return responder.handle(msg, transport);
  }

  async function ask(name: string, type = 'A', o: AskOptions = {}): Promise<{ packet: LoosePacket; size: number; wire: Buffer }> {
    const query: dnsPacket.Packet = {
      type: 'query',
      id: o.id ?? 4242,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: type as Question['type'], class: 'IN' }],
      additionals: o.edns === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, flags: 0, options: o.ednsOptions ?? [] } as unknown as dnsPacket.Answer],
    };
    const wire = await responder.handle(dnsPacket.encode(query), o.transport ?? 'udp');
    if (!wire) throw new Error('no answer');
    return { packet: dnsPacket.decode(wire) as unknown as LoosePacket, size: wire.length, wire };
  }

  async function register(req: Partial<RegisterRequest> & { Node: string; Address: string }): Promise<void> {
    await catalog.register(req as RegisterRequest);
  }

  return {
    store,
    raft,
    clock,
    catalog,
    resolver,
    logs,
    responder,
    ask,
    raw,
    register,
    setConfig(next: DnsTestConfig) {
      settings = dnsSettingsFrom(dnsRuntimeConfig(next));
    },
  };
}

/** The rcode name of a decoded packet (dns-packet's rcode string). */
export function rcodeOf(p: LoosePacket): string {
  return p.rcode ?? 'NOERROR';
}

/** Data of the answers of one type. */
export function answersOf(p: LoosePacket, type: string): unknown[] {
  return (p.answers ?? []).filter((a) => a.type === type).map((a) => a.data);
}
