import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Clock } from '../../../contracts/platform.js';
import type { TextSink } from '../command.js';
import { abortableSleep } from './abortable-sleep.js';

/** Consul's lockKillGracePeriod: between the SIGTERM and the SIGKILL of a child whose lock was lost. */
export const LOCK_KILL_GRACE_MS = 5_000;

/** How a child ended, with Go's exec error text when it did not exit 0. */
export interface ChildExit {
  /** Exit code, or null when a signal ended it or it never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Go's `cmd.Wait()` / `cmd.Start()` error text (`exit status 3`, `signal: terminated`); undefined on success. */
  readonly error?: string;
  /** True when the child could not be started at all. */
  readonly startFailed?: boolean;
}

/** Where the child's standard streams go. */
export interface ChildStdio {
  /** 'inherit' shares the lock command's own descriptors (a terminal stays a terminal). */
  readonly stdout: 'inherit' | TextSink;
  readonly stderr: 'inherit' | TextSink;
  /** Absent: /dev/null (Consul's default); 'inherit': the command's stdin; an iterable: piped in. */
  readonly stdin?: 'inherit' | AsyncIterable<Uint8Array | string>;
}

/** What to run. */
export interface ChildSpec {
  /** The command words after the prefix. */
  readonly args: readonly string[];
  /** Run `args` joined with spaces through `<shell> -c` (Consul's ExecScript); else exec args[0] directly. */
  readonly shell: boolean;
  /** The shell to use ($SHELL, else /bin/sh — as Consul). */
  readonly shellPath: string;
  /** The child's environment (CONSUL_LOCK_HELD and SEXTANT_LOCK_HELD are added). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdio: ChildStdio;
}

const SIGNAL_NAMES: Partial<Record<NodeJS.Signals, string>> = {
  SIGTERM: 'terminated',
  SIGKILL: 'killed',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGPIPE: 'broken pipe',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
};

/** Go's ExitError text for a child that ended with `code` or `signal`. */
export function goExitText(code: number | null, signal: NodeJS.Signals | null): string | undefined {
  if (signal) return `signal: ${SIGNAL_NAMES[signal] ?? signal}`;
  if (code !== null && code !== 0) return `exit status ${code}`;
  return undefined;
}

/**
 * The child `sextant lock` runs while it holds the lock: started with CONSUL_LOCK_HELD=true
 * (and SEXTANT_LOCK_HELD=true), signalled by pid (not its group, as Consul does), and ended with
 * SIGTERM then, after a grace period, SIGKILL.
 */
export class LockChild {
  /** Resolves once the child has exited (or failed to start); never rejects. */
  readonly exited: Promise<ChildExit>;
  private done = false;
  private readonly proc: ChildProcess | undefined;

  private constructor(
    private readonly clock: Clock,
    spec: ChildSpec,
  ) {
    const stdio: StdioOptions = [
      spec.stdio.stdin === undefined ? 'ignore' : spec.stdio.stdin === 'inherit' ? 'inherit' : 'pipe',
      spec.stdio.stdout === 'inherit' ? 'inherit' : 'pipe',
      spec.stdio.stderr === 'inherit' ? 'inherit' : 'pipe',
    ];
    const env = { ...spec.env, CONSUL_LOCK_HELD: 'true', SEXTANT_LOCK_HELD: 'true' } as NodeJS.ProcessEnv;
    const [file, args] = spec.shell ? [spec.shellPath, ['-c', spec.args.join(' ')]] : [spec.args[0] ?? '', spec.args.slice(1)];
    let proc: ChildProcess | undefined;
    let startError: string | undefined;
    try {
      proc = spawn(file, args, { stdio, env });
    } catch (e) {
      startError = (e as Error).message;
    }
    this.proc = proc;
    this.exited = new Promise<ChildExit>((resolve) => {
      const finish = (x: ChildExit): void => {
        if (this.done) return;
        this.done = true;
        resolve(x);
      };
      if (!proc) return finish({ code: null, signal: null, error: startError ?? 'spawn failed', startFailed: true });
      proc.once('error', (e: NodeJS.ErrnoException) => {
        if (proc.pid === undefined) {
          const why = e.code === 'ENOENT' ? `exec: "${file}": executable file not found in $PATH` : e.message;
          finish({ code: null, signal: null, error: why, startFailed: true });
        }
      });
      proc.once('exit', (code, signal) => {
        const error = goExitText(code, signal);
        finish({ code, signal, ...(error ? { error } : {}) });
      });
    });
    if (proc) {
      if (spec.stdio.stdout !== 'inherit') {
        const sink = spec.stdio.stdout;
        proc.stdout?.on('data', (d: Buffer) => sink.write(d.toString('utf8')));
      }
      if (spec.stdio.stderr !== 'inherit') {
        const sink = spec.stdio.stderr;
        proc.stderr?.on('data', (d: Buffer) => sink.write(d.toString('utf8')));
      }
      const input = spec.stdio.stdin;
      if (input !== undefined && input !== 'inherit' && proc.stdin) {
        const sinkIn = proc.stdin;
        sinkIn.on('error', () => undefined); // the child may exit without reading
        void (async () => {
          try {
            for await (const c of input) if (!sinkIn.write(c)) await new Promise((r) => sinkIn.once('drain', r));
          } catch {
            /* the input ended badly: close the child's stdin anyway */
          }
          sinkIn.end();
        })();
      }
    }
  }

  /** Starts a child per `spec`. Start failures surface through `exited` (startFailed). */
  static start(clock: Clock, spec: ChildSpec): LockChild {
    return new LockChild(clock, spec);
  }

  /** The child's pid (undefined when it never started). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Whether the child has exited. */
  get hasExited(): boolean {
    return this.done;
  }

  /** Sends `sig` to the child's pid; false when it is gone or never started. */
  signal(sig: NodeJS.Signals): boolean {
    if (this.done || !this.proc?.pid) return false;
    try {
      process.kill(this.proc.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Consul's killChild: SIGTERM, then SIGKILL when the child has not exited after `graceMs`.
   * Resolves once it has exited, with which signal ended it ('SIGTERM' when it went in the
   * grace period, 'SIGKILL' when it had to be killed, null when it had already exited).
   */
  async terminate(graceMs = LOCK_KILL_GRACE_MS, onStep?: (step: 'term' | 'grace-expired' | 'kill') => void): Promise<'SIGTERM' | 'SIGKILL' | null> {
    if (this.done || !this.proc?.pid) return null;
    onStep?.('term');
    this.signal('SIGTERM');
    const stop = new AbortController();
    const exitedInTime = await Promise.race([this.exited.then(() => true), abortableSleep(this.clock, graceMs, stop.signal).then(() => false)]);
    stop.abort();
    if (exitedInTime) return 'SIGTERM';
    onStep?.('grace-expired');
    onStep?.('kill');
    this.signal('SIGKILL');
    await this.exited;
    return 'SIGKILL';
  }
}
