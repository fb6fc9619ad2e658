import type { ChannelCredentials, Client, Metadata, ServiceClientConstructor, ServiceError } from '@grpc/grpc-js';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { durationFieldNs, nsToMs, ProbeDeadline, validateDurationField } from 'sextant/plugin-sdk';
import { goGrpcErrorText } from './grpc-status-text.js';

/** Consul's default gRPC check timeout. */
export const GRPC_DEFAULT_TIMEOUT_NS = 10_000_000_000n;

export interface GrpcCheckRunnerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
}

interface HealthCheckResponse {
  status: string;
}

type HealthClient = Client & {
  Check(req: { service: string }, md: Metadata, cb: (err: ServiceError | null, res?: HealthCheckResponse) => void): { cancel(): void };
};

/**
 * The `grpc` check kind (Consul's CheckGRPC + GrpcHealthProbe): `grpc` is `host:port` or
 * `host:port/service`; one grpc.health.v1.Health/Check call (service '' = the whole server) on a
 * fresh channel — TLS when `grpc_use_tls` (with `tls_skip_verify`, `tls_server_name`),
 * plaintext otherwise. Passing `gRPC check <grpc>: success` on SERVING; critical
 * `gRPC <grpc> serving status: <STATUS>` on any other status, or grpc-go's error text
 * (`rpc error: code = NotFound desc = unknown service`). Default timeout 10s.
 */
export class GrpcCheckRunner implements CheckRunner {
  readonly kind = 'grpc';
  /** grpc-js and the Health client, loaded on the first probe (importing grpc-js is slow: it is not paid at agent start). */
  private grpc: Promise<{ lib: typeof import('@grpc/grpc-js'); Health: ServiceClientConstructor }> | undefined;

  constructor(private readonly opts: GrpcCheckRunnerOptions) {}

  /** True for a definition with a non-empty `grpc` field. */
  accepts(def: CheckDefinition): boolean {
    return typeof def.grpc === 'string' && def.grpc !== '';
  }

  /** Refuses a non-string `grpc`, non-boolean TLS flags and a bad `timeout`. */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    if (typeof def.grpc !== 'string') return 'grpc: must be a "host:port[/service]" string';
    for (const f of ['grpc_use_tls', 'tls_skip_verify'] as const) {
      if (def[f] !== undefined && def[f] !== null && typeof def[f] !== 'boolean') return `${f}: must be a boolean`;
    }
    if (def.tls_server_name !== undefined && def.tls_server_name !== null && typeof def.tls_server_name !== 'string') return 'tls_server_name: must be a string';
    return validateDurationField(def, 'timeout');
  }

  /** One Health/Check call; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const target = String(def.grpc);
    const slash = target.indexOf('/');
    const server = slash < 0 ? target : target.slice(0, slash);
    const service = slash < 0 ? '' : target.slice(slash + 1);
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(durationFieldNs(def, 'timeout', GRPC_DEFAULT_TIMEOUT_NS)), signal);
    let client: HealthClient | undefined;
    try {
      this.grpc ??= Promise.all([import('@grpc/grpc-js'), import('./health-proto.js')]).then(([lib, proto]) => ({ lib, Health: proto.healthClientConstructor() }));
      const { lib, Health } = await this.grpc;
      const { credentials, Metadata } = lib;
      const serverName = typeof def.tls_server_name === 'string' && def.tls_server_name !== '' ? def.tls_server_name : undefined;
      const creds: ChannelCredentials =
        def.grpc_use_tls === true
          ? credentials.createSsl(null, null, null, {
              rejectUnauthorized: def.tls_skip_verify !== true,
              ...(def.tls_skip_verify === true ? { checkServerIdentity: () => undefined } : {}),
            })
          : credentials.createInsecure();
      const options = serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {};
      client = new Health(server, creds, options) as unknown as HealthClient;
      const c = client;
      const outcome = await new Promise<{ err: ServiceError | null; res?: HealthCheckResponse } | 'aborted'>((resolve) => {
        if (deadline.aborted) return resolve('aborted');
        const call = c.Check({ service }, new Metadata(), (err, res) => resolve({ err, res }));
        deadline.signal.addEventListener('abort', () => {
          call.cancel();
          resolve('aborted');
        }, { once: true });
      });
      if (outcome === 'aborted') {
        return { status: 'critical', output: deadline.timedOut ? 'rpc error: code = DeadlineExceeded desc = context deadline exceeded' : 'rpc error: code = Canceled desc = context canceled' };
      }
      if (outcome.err) return { status: 'critical', output: goGrpcErrorText(outcome.err) };
      const status = outcome.res?.status ?? 'UNKNOWN';
      if (status !== 'SERVING') return { status: 'critical', output: `gRPC ${target} serving status: ${status}` };
      return { status: 'passing', output: `gRPC check ${target}: success` };
    } catch (e) {
      return { status: 'critical', output: e instanceof Error ? e.message : String(e) };
    } finally {
      deadline.dispose();
      client?.close();
    }
  }

  /** Nothing runner-wide to release (each probe closes its own channel). */
  async close(): Promise<void> {}
}
