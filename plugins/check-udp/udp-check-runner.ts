import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { durationFieldNs, goErrnoText, joinHostPort, nsToMs, parsePort, ProbeDeadline, splitHostPort, validateDurationField } from 'sextant/plugin-sdk';

/** Consul's default UDP check timeout. */
export const UDP_DEFAULT_TIMEOUT_NS = 10_000_000_000n;

export interface UdpCheckRunnerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The `udp` check kind (Consul's CheckUDP): "dials" `host:port` (name resolution only), sends an
 * empty datagram and waits for one byte back. Passing (`UDP connect <udp>: Success`) when a
 * reply arrives or when nothing arrives before the timeout (Consul passes on `i/o timeout`);
 * critical with Go's error text when resolution fails or the read reports an error — on
 * loopback and most hosts an ICMP port-unreachable comes back as
 * `read udp <local>-><remote>: read: connection refused`. Default timeout 10s.
 */
export class UdpCheckRunner implements CheckRunner {
  readonly kind = 'udp';

  constructor(private readonly opts: UdpCheckRunnerOptions) {}

  /** True for a definition with a non-empty `udp` field. */
  accepts(def: CheckDefinition): boolean {
    return typeof def.udp === 'string' && def.udp !== '';
  }

  /** Refuses a non-string `udp` and a bad `timeout` (Consul checks the address only when probing). */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    if (typeof def.udp !== 'string') return 'udp: must be a "host:port" string';
    return validateDurationField(def, 'timeout');
  }

  /** Sends once and listens until a reply, an error or the timeout; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const target = String(def.udp);
    const critical = (output: string): CheckResult => ({ status: 'critical', output });
    const success: CheckResult = { status: 'passing', output: `UDP connect ${target}: Success` };
    const hp = splitHostPort(target);
    if ('error' in hp) return critical(`dial udp: ${hp.error}`);
    const port = parsePort(hp.port);
    if (port === undefined) return critical(`dial udp: lookup udp/${hp.port}: unknown port`);
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(durationFieldNs(def, 'timeout', UDP_DEFAULT_TIMEOUT_NS)), signal);
    try {
      const host = hp.host === '' ? '127.0.0.1' : hp.host;
      let address = host;
      if (!isIP(host)) {
        try {
          address = (await dnsLookup(host)).address;
        } catch {
          return critical(`dial udp: lookup ${host}: no such host`);
        }
      }
      if (deadline.aborted) return deadline.timedOut ? success : critical(`dial udp ${joinHostPort(address, port)}: operation was canceled`);
      const error = await this.exchange(address, port, deadline);
      if (error === undefined) return success;
      this.opts.logger.warn('Check socket read failed', { check: def.id, error });
      return critical(error);
    } finally {
      deadline.dispose();
    }
  }

  /** Nothing runner-wide to release. */
  async close(): Promise<void> {}

  /** Resolves undefined for a reply or a timeout, else Go's error text. */
  private exchange(address: string, port: number, deadline: ProbeDeadline): Promise<string | undefined> {
    return new Promise((resolve) => {
      const socket: Socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      const remote = joinHostPort(address, port);
      let local = '';
      let done = false;
      const finish = (value: string | undefined): void => {
        if (done) return;
        done = true;
        deadline.signal.removeEventListener('abort', onAbort);
        try {
          socket.close();
        } catch {
          // already closed
        }
        resolve(value);
      };
      const onAbort = (): void => finish(deadline.timedOut ? undefined : `read udp ${local}->${remote}: operation was canceled`);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (local === '') return finish(`dial udp ${remote}: ${goErrnoText(err)}`);
        const op = err.syscall === 'send' ? 'write' : 'read';
        finish(`${op} udp ${local}->${remote}: ${op}: ${goErrnoText(err)}`);
      });
      socket.on('message', () => finish(undefined));
      if (deadline.signal.aborted) return onAbort();
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      socket.connect(port, address, () => {
        const a = socket.address();
        local = joinHostPort(a.address, a.port);
        socket.send(Buffer.alloc(0));
      });
    });
  }
}
