import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { commandOf, DEFAULT_OUTPUT_MAX_SIZE, durationFieldNs, goDurationText, goStartErrorText, hasCommand, nsToMs, outputMaxSize, ProbeDeadline, type ScriptCheckPolicy, scriptPolicyError, statusForExitCode, TailBuffer, validateCommandFields, validateDurationField, validateOutputMaxSize } from 'sextant/plugin-sdk';

/** Consul's default script check timeout. */
export const SCRIPT_DEFAULT_TIMEOUT_NS = 30_000_000_000n;

export interface ScriptCheckRunnerOptions extends ScriptCheckPolicy {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Environment of the check processes and source of `$SHELL`; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The agent-wide output cap in bytes (Consul's check_output_max_size); default 4096. */
  readonly checkOutputMaxSize?: number;
}

type RunOutcome =
  | { readonly kind: 'start-failed'; readonly error: NodeJS.ErrnoException }
  | { readonly kind: 'exited'; readonly code: number | null };

/**
 * The `script` check kind (Consul's CheckMonitor): runs `args` directly, or a legacy `script`
 * through `$SHELL -c` (default /bin/sh), in its own process group. stdout and stderr go to one
 * buffer that keeps the last `output_max_size` bytes. Exit 0 is passing, 1 warning, anything
 * else (a signal, a start failure, a timeout) critical. On timeout (default 30s) or abort the
 * whole process group is SIGKILLed.
 */
export class ScriptCheckRunner implements CheckRunner {
  readonly kind = 'script';
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly opts: ScriptCheckRunnerOptions) {}

  /** True for a definition with `args` or `script` and no `docker_container_id` (that is the docker kind). */
  accepts(def: CheckDefinition): boolean {
    const docker = def.docker_container_id;
    return (docker === undefined || docker === null || docker === '') && hasCommand(def);
  }

  /**
   * Refuses malformed `args`/`script`/`timeout`/`output_max_size`, and script checks the agent
   * does not allow from `origin` (Consul's exact texts).
   */
  validate(def: CheckDefinition, origin: CheckOrigin): string | undefined {
    return (
      validateCommandFields(def) ??
      scriptPolicyError(this.opts, origin) ??
      validateDurationField(def, 'timeout') ??
      validateOutputMaxSize(def)
    );
  }

  /** Runs the command once and maps its exit code; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const timeoutNs = durationFieldNs(def, 'timeout', SCRIPT_DEFAULT_TIMEOUT_NS);
    const out = new TailBuffer(outputMaxSize(def, this.opts.checkOutputMaxSize ?? DEFAULT_OUTPUT_MAX_SIZE));
    const env = this.opts.env ?? process.env;
    const [file, ...args] = commandOf(def, env.SHELL || '/bin/sh');
    if (signal.aborted) return { status: 'critical', output: 'Check canceled before it started' };
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(timeoutNs), signal);
    try {
      const outcome = await this.run(file!, args, env, out, deadline.signal);
      if (outcome.kind === 'start-failed') {
        const output = goStartErrorText(file!, outcome.error);
        this.opts.logger.warn('Check failed to invoke', { check: def.id, error: output });
        return { status: 'critical', output };
      }
      const captured = out.capturedText();
      if (deadline.timedOut) {
        this.opts.logger.warn('Timed out running check', { check: def.id, timeout: goDurationText(timeoutNs) });
        const msg = `Timed out (${goDurationText(timeoutNs)}) running check`;
        return { status: 'critical', output: captured.length > 0 ? `${msg}\n\n${captured}` : msg };
      }
      if (deadline.aborted) return { status: 'critical', output: captured.length > 0 ? `Check canceled\n\n${captured}` : 'Check canceled' };
      return { status: statusForExitCode(outcome.code), output: captured };
    } finally {
      deadline.dispose();
    }
  }

  /** Kills the process groups of every running probe. */
  async close(): Promise<void> {
    for (const child of this.running) this.killTree(child);
  }

  private run(
    file: string,
    args: string[],
    env: Readonly<Record<string, string | undefined>>,
    out: TailBuffer,
    signal: AbortSignal,
  ): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve) => {
      let child: ChildProcess;
      try {
        // detached: the child leads a new process group, so a timeout can kill its whole tree.
        child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: env as NodeJS.ProcessEnv });
      } catch (e) {
        resolve({ kind: 'start-failed', error: e as NodeJS.ErrnoException });
        return;
      }
      let killed = false;
      const kill = (): void => {
        if (killed) return;
        killed = true;
        this.killTree(child);
      };
      const finish = (outcome: RunOutcome): void => {
        signal.removeEventListener('abort', kill);
        this.running.delete(child);
        resolve(outcome);
      };
      this.running.add(child);
      child.stdout!.on('data', (c: Buffer) => out.write(c));
      child.stderr!.on('data', (c: Buffer) => out.write(c));
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined) finish({ kind: 'start-failed', error: err });
      });
      child.once('exit', () => {
        // A killed tree member that escaped the group could hold the pipes open forever.
        if (killed) {
          child.stdout!.destroy();
          child.stderr!.destroy();
        }
      });
      // 'close' waits for the pipes too, like Go's cmd.Wait (a backgrounded grandchild that keeps
      // stdout open keeps the check running until the timeout kills the group).
      child.once('close', (code: number | null) => finish({ kind: 'exited', code }));
      if (signal.aborted) kill();
      else signal.addEventListener('abort', kill, { once: true });
    });
  }

  private killTree(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') this.opts.logger.warn('Check failed to kill after timeout', { pid, error: String(e) });
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}
