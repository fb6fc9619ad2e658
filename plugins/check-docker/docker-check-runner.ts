import type { Clock, Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { commandOf, DEFAULT_OUTPUT_MAX_SIZE, durationFieldNs, goDurationText, hasCommand, nsToMs, outputMaxSize, ProbeDeadline, type ScriptCheckPolicy, scriptPolicyError, statusForExitCode, TailBuffer, validateCommandFields, validateDurationField, validateOutputMaxSize } from 'sextant/plugin-sdk';
import { DockerCallError, DockerEngineClient, type ExecInspection } from './docker-engine-client.js';
import { parseDockerHost } from './docker-host.js';

/** Consul sets no timeout on docker checks; Sextant bounds each probe by `timeout`, default 30s. */
export const DOCKER_DEFAULT_TIMEOUT_NS = 30_000_000_000n;
/** How often and how many times to re-inspect an exec the engine still reports as running. */
const INSPECT_RETRY_MS = 25;
const INSPECT_RETRIES = 40;

export interface DockerCheckRunnerOptions extends ScriptCheckPolicy {
  readonly clock: Clock;
  readonly logger: Logger;
  /** `$DOCKER_HOST`: `unix:///path` or `tcp://host:port`; default unix:///var/run/docker.sock. */
  readonly dockerHost?: string;
  /** Shell for a legacy `script` when the definition has no `shell`: Consul uses `$SHELL`, else /bin/sh. */
  readonly defaultShell?: string;
  /** The agent-wide output cap in bytes (Consul's check_output_max_size); default 4096. */
  readonly checkOutputMaxSize?: number;
}

/**
 * The `docker` check kind (Consul's CheckDocker): runs `args` (or `[shell, "-c", script]`)
 * inside container `docker_container_id` through the Docker Engine API — create an exec, start
 * it attached (stdout+stderr demultiplexed into one buffer keeping the last `output_max_size`
 * bytes, reported with Consul's `Captured N of M bytes` prefix), then read its exit code: 0
 * passing, 1 warning, else critical. API failures are critical with Consul's error texts.
 * Needs the same script-check permission as the script kind.
 */
export class DockerCheckRunner implements CheckRunner {
  readonly kind = 'docker';
  private client: DockerEngineClient | undefined;

  constructor(private readonly opts: DockerCheckRunnerOptions) {}

  /** True for a definition with a non-empty `docker_container_id`. */
  accepts(def: CheckDefinition): boolean {
    return typeof def.docker_container_id === 'string' && def.docker_container_id !== '';
  }

  /**
   * Refuses a definition without `args`/`script`, malformed fields, and (Consul's texts) script
   * checks the agent does not allow from `origin`.
   */
  validate(def: CheckDefinition, origin: CheckOrigin): string | undefined {
    if (typeof def.docker_container_id !== 'string' || def.docker_container_id === '') return 'docker_container_id: must be a non-empty string';
    const shape = validateCommandFields(def);
    if (shape) return shape;
    if (!hasCommand(def)) return 'docker_container_id: a docker check needs args (or script) to run in the container';
    if (def.shell !== undefined && def.shell !== null && typeof def.shell !== 'string') return 'shell: must be a string';
    return scriptPolicyError(this.opts, origin) ?? validateDurationField(def, 'timeout') ?? validateOutputMaxSize(def);
  }

  /** Runs the command in the container once; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const containerId = String(def.docker_container_id);
    const timeoutNs = durationFieldNs(def, 'timeout', DOCKER_DEFAULT_TIMEOUT_NS);
    const shell = typeof def.shell === 'string' && def.shell !== '' ? def.shell : (this.opts.defaultShell ?? '/bin/sh');
    const out = new TailBuffer(outputMaxSize(def, this.opts.checkOutputMaxSize ?? DEFAULT_OUTPUT_MAX_SIZE));
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(timeoutNs), signal);
    try {
      const client = this.engine();
      const execId = await client.createExec(containerId, commandOf(def, shell), deadline.signal);
      await client.startExec(containerId, execId, (chunk) => out.write(chunk), deadline.signal);
      const inspected = await this.inspectUntilDone(client, containerId, execId, deadline);
      if (inspected.running || inspected.exitCode === null)
        return { status: 'critical', output: `inspect exec failed for container ${containerId}: exec ${execId} did not report an exit code` };
      return { status: statusForExitCode(inspected.exitCode), output: out.capturedText() };
    } catch (e) {
      if (deadline.timedOut) {
        const captured = out.capturedText();
        const msg = `Timed out (${goDurationText(timeoutNs)}) running check`;
        return { status: 'critical', output: captured.length > 0 ? `${msg}\n\n${captured}` : msg };
      }
      if (deadline.aborted) return { status: 'critical', output: 'Check canceled' };
      const output = e instanceof DockerCallError ? e.message : `docker check failed: ${(e as Error).message}`;
      this.opts.logger.debug('Check failed', { check: def.id, error: output });
      return { status: 'critical', output };
    } finally {
      deadline.dispose();
    }
  }

  /** Nothing pooled: every Engine API call uses its own connection. */
  async close(): Promise<void> {}

  private engine(): DockerEngineClient {
    if (!this.client) {
      this.client = new DockerEngineClient(parseDockerHost(this.opts.dockerHost));
      this.opts.logger.debug('created docker client', { host: this.client.host });
    }
    return this.client;
  }

  /** The engine may report the exec as running for a moment after its stream ended: re-inspect briefly. */
  private async inspectUntilDone(client: DockerEngineClient, containerId: string, execId: string, deadline: ProbeDeadline): Promise<ExecInspection> {
    let r = await client.inspectExec(containerId, execId, deadline.signal);
    for (let i = 0; i < INSPECT_RETRIES && r.running; i++) {
      await new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, INSPECT_RETRY_MS));
      r = await client.inspectExec(containerId, execId, deadline.signal);
    }
    return r;
  }
}
