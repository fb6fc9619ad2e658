import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { durationFieldNs, goErrnoText, joinHostPort, nsToMs, parsePort, ProbeDeadline, splitHostPort, validateDurationField } from 'sextant/plugin-sdk';
import { goTlsErrorText } from './tls-error-text.js';

/** Consul's default H2PING check timeout. */
export const H2PING_DEFAULT_TIMEOUT_NS = 10_000_000_000n;

export interface H2PingCheckRunnerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The `h2ping` check kind (Consul's CheckH2PING): opens an HTTP/2 connection to `host:port` —
 * TLS with ALPN h2 when `h2ping_use_tls` (Consul's default: true), h2c prior knowledge
 * otherwise — and sends one PING. Passing `HTTP2 ping was successful`; critical
 * `Failed to dial to <target>: <error>` when the connection (or TLS handshake) fails, or
 * `HTTP2 ping failed: <error>` when the PING is not acknowledged. `tls_skip_verify` and
 * `tls_server_name` apply to the TLS handshake. Default timeout 10s.
 */
export class H2PingCheckRunner implements CheckRunner {
  readonly kind = 'h2ping';

  constructor(private readonly opts: H2PingCheckRunnerOptions) {}

  /** True for a definition with a non-empty `h2ping` field. */
  accepts(def: CheckDefinition): boolean {
    return typeof def.h2ping === 'string' && def.h2ping !== '';
  }

  /** Refuses a non-string `h2ping`, non-boolean TLS flags and a bad `timeout`. */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    if (typeof def.h2ping !== 'string') return 'h2ping: must be a "host:port" string';
    for (const f of ['h2ping_use_tls', 'tls_skip_verify'] as const) {
      if (def[f] !== undefined && def[f] !== null && typeof def[f] !== 'boolean') return `${f}: must be a boolean`;
    }
    if (def.tls_server_name !== undefined && def.tls_server_name !== null && typeof def.tls_server_name !== 'string') return 'tls_server_name: must be a string';
    return validateDurationField(def, 'timeout');
  }

  /** Connects, pings once, closes; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const target = String(def.h2ping);
    const dialFailed = (why: string): CheckResult => ({ status: 'critical', output: `Failed to dial to ${target}: ${why}` });
    const hp = splitHostPort(target);
    if ('error' in hp) return dialFailed(`dial tcp: ${hp.error}`);
    const port = parsePort(hp.port);
    if (port === undefined) return dialFailed(`dial tcp: lookup tcp/${hp.port}: unknown port`);
    const useTls = def.h2ping_use_tls !== false;
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(durationFieldNs(def, 'timeout', H2PING_DEFAULT_TIMEOUT_NS)), signal);
    try {
      const host = hp.host === '' ? 'localhost' : hp.host;
      const authority = `${useTls ? 'https' : 'http'}://${joinHostPort(host, port)}`;
      const serverName = typeof def.tls_server_name === 'string' && def.tls_server_name !== '' ? def.tls_server_name : undefined;
      return await this.ping(authority, target, deadline, useTls ? { rejectUnauthorized: def.tls_skip_verify !== true, servername: serverName, ALPNProtocols: ['h2'] } : {});
    } finally {
      deadline.dispose();
    }
  }

  /** Nothing runner-wide to release. */
  async close(): Promise<void> {}

  private ping(authority: string, target: string, deadline: ProbeDeadline, tls: Record<string, unknown>): Promise<CheckResult> {
    return new Promise((resolve) => {
      let connected = false;
      let done = false;
      let session: ClientHttp2Session | undefined;
      const finish = (r: CheckResult): void => {
        if (done) return;
        done = true;
        deadline.signal.removeEventListener('abort', onAbort);
        session?.destroy();
        resolve(r);
      };
      const dialFailed = (why: string): void => finish({ status: 'critical', output: `Failed to dial to ${target}: ${why}` });
      const pingFailed = (why: string): void => finish({ status: 'critical', output: `HTTP2 ping failed: ${why}` });
      const onAbort = (): void => {
        const why = deadline.timedOut ? 'context deadline exceeded' : 'context canceled';
        if (connected) pingFailed(why);
        else dialFailed(deadline.timedOut ? `dial tcp ${target}: i/o timeout` : `dial tcp ${target}: operation was canceled`);
      };
      if (deadline.signal.aborted) return onAbort();
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      const s = h2connect(authority, { ...tls, settings: { enablePush: false } });
      session = s;
      s.on('error', (err: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }) => {
        if (connected) return pingFailed(err.message);
        const tlsText = goTlsErrorText(err);
        if (tlsText !== undefined) return dialFailed(tlsText);
        if (err.syscall === 'getaddrinfo') return dialFailed(`dial tcp: lookup ${err.hostname ?? target}: no such host`);
        const addr = err.address !== undefined && err.port !== undefined ? joinHostPort(err.address, err.port) : target;
        dialFailed(`dial tcp ${addr}: connect: ${goErrnoText(err)}`);
      });
      s.on('close', () => (connected ? pingFailed('http2: client connection lost') : dialFailed('EOF')));
      s.on('goaway', () => pingFailed('http2: server sent GOAWAY and closed the connection'));
      s.once('connect', () => {
        connected = true;
        const sent = s.ping((err) => {
          if (err) pingFailed(err.message);
          else finish({ status: 'passing', output: 'HTTP2 ping was successful' });
        });
        if (!sent) pingFailed('http2: too many outstanding pings');
      });
    });
  }
}
