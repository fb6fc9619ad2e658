import { lookup as dnsLookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { durationFieldNs, goDialErrorText, goDialTimeoutText, goLookupErrorText, joinHostPort, nsToMs, parsePort, ProbeDeadline, splitHostPort, validateDurationField } from 'sextant/plugin-sdk';

/** Consul's default TCP check timeout. */
export const TCP_DEFAULT_TIMEOUT_NS = 10_000_000_000n;

/** Resolves a host name to its addresses, preferred first. */
export type HostLookup = (host: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo order, all families). */
export const systemLookup: HostLookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface TcpCheckRunnerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Name resolution; default the system resolver. */
  readonly lookup?: HostLookup;
  /** How long one address may stay unanswered before the next one is tried in parallel (Go: 300 ms). */
  readonly fallbackDelayMs?: number;
  /** Opens a connection attempt; default net.connect. Tests use it to simulate unanswered SYNs. */
  readonly connect?: (address: string, port: number) => Socket;
}

/**
 * The `tcp` check kind (Consul's CheckTCP): passing when a TCP connection to `host:port` opens
 * (`TCP connect <tcp>: Success`), critical with Go's dial error text otherwise. A name that
 * resolves to several addresses is tried Happy-Eyeballs style — the next address starts when
 * the previous one failed or after the fallback delay — and the first connection that opens
 * wins. Default timeout 10s.
 */
export class TcpCheckRunner implements CheckRunner {
  readonly kind = 'tcp';
  private readonly lookup: HostLookup;
  private readonly fallbackDelayMs: number;

  constructor(private readonly opts: TcpCheckRunnerOptions) {
    this.lookup = opts.lookup ?? systemLookup;
    this.fallbackDelayMs = opts.fallbackDelayMs ?? 300;
  }

  /** True for a definition with a non-empty `tcp` field. */
  accepts(def: CheckDefinition): boolean {
    return typeof def.tcp === 'string' && def.tcp !== '';
  }

  /** Refuses a `tcp` that is not `host:port` with a numeric port, and a bad `timeout`. */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    if (typeof def.tcp !== 'string') return 'tcp: must be a "host:port" string';
    const hp = splitHostPort(def.tcp);
    if ('error' in hp) return `tcp: ${hp.error}`;
    if (parsePort(hp.port) === undefined) return `tcp: invalid port ${JSON.stringify(hp.port)} in ${JSON.stringify(def.tcp)}`;
    return validateDurationField(def, 'timeout');
  }

  /** Connects once; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const target = String(def.tcp);
    const critical = (output: string): CheckResult => ({ status: 'critical', output });
    const hp = splitHostPort(target);
    if ('error' in hp) return critical(`dial tcp: ${hp.error}`);
    const port = parsePort(hp.port);
    if (port === undefined) return critical(`dial tcp: lookup tcp/${hp.port}: unknown port`);
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(durationFieldNs(def, 'timeout', TCP_DEFAULT_TIMEOUT_NS)), signal);
    try {
      const host = hp.host === '' ? '127.0.0.1' : hp.host;
      let addresses: readonly string[];
      if (isIP(host)) addresses = [host];
      else {
        const resolved = await raceAbort(this.lookup(host), deadline.signal);
        if (resolved === ABORTED) return critical(deadline.timedOut ? `dial tcp: lookup ${host}: i/o timeout` : `dial tcp: lookup ${host}: operation was canceled`);
        if (resolved instanceof Error || resolved.length === 0) return critical(goLookupErrorText(host));
        addresses = resolved;
      }
      const result = await this.dialFirst(addresses, port, deadline);
      if (result === undefined) return { status: 'passing', output: `TCP connect ${target}: Success` };
      return critical(result);
    } finally {
      deadline.dispose();
    }
  }

  /** Nothing runner-wide to release. */
  async close(): Promise<void> {}

  /** Resolves undefined when some address connected, else the error text of the first address. */
  private dialFirst(addresses: readonly string[], port: number, deadline: ProbeDeadline): Promise<string | undefined> {
    return new Promise((resolve) => {
      const sockets: Socket[] = [];
      const errors: (string | undefined)[] = [];
      let started = 0;
      let failed = 0;
      let done = false;
      let fallback: TimerHandle | undefined;
      const firstAddr = joinHostPort(addresses[0]!, port);
      const finish = (value: string | undefined): void => {
        if (done) return;
        done = true;
        fallback?.cancel();
        deadline.signal.removeEventListener('abort', onAbort);
        for (const s of sockets) s.destroy();
        resolve(value);
      };
      const onAbort = (): void =>
        finish(deadline.timedOut ? goDialTimeoutText(firstAddr) : `dial tcp ${firstAddr}: operation was canceled`);
      const startNext = (): void => {
        fallback?.cancel();
        fallback = undefined;
        if (done || started >= addresses.length) return;
        const i = started++;
        const address = addresses[i]!;
        const socket = this.opts.connect ? this.opts.connect(address, port) : connect({ host: address, port });
        sockets.push(socket);
        socket.once('connect', () => finish(undefined));
        socket.once('error', (err: NodeJS.ErrnoException) => {
          errors[i] = goDialErrorText('tcp', joinHostPort(address, port), err);
          failed++;
          if (failed === addresses.length) finish(errors.find((e) => e !== undefined));
          else startNext();
        });
        if (started < addresses.length) fallback = this.opts.clock.setTimeout(startNext, this.fallbackDelayMs);
      };
      if (deadline.signal.aborted) return onAbort();
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      startNext();
    });
  }
}

const ABORTED = Symbol('aborted');

/** Settles with the promise's value, its error, or ABORTED when `signal` aborts first. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | Error | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        resolve(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
