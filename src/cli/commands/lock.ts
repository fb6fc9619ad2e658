import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import type { Clock } from '../../../contracts/platform.js';
import { SystemClock } from '../../platform/system-clock.js';
import type { Command } from '../command.js';
import { processIo } from '../command.js';
import type { DistributedLock } from '../lock/distributed-lock.js';
import { EventLoopHold } from '../lock/event-loop-hold.js';
import { HttpLockApi } from '../lock/lock-api.js';
import type { LockApi } from '../lock/lock-api.js';
import { LOCK_KILL_GRACE_MS, LockChild } from '../lock/lock-child.js';
import { LockRecipe } from '../lock/lock-recipe.js';
import { joinKey, SEMAPHORE_KEY, SemaphoreRecipe } from '../lock/semaphore-recipe.js';
import { processShutdownSignals } from '../lock/shutdown-signals.js';
import type { ShutdownSignals } from '../lock/shutdown-signals.js';
import type { HttpClient } from '../http-client.js';
import { defineHttpCommand } from './http-command.js';

/** Consul's defaultMonitorRetryTime for the lock command. */
export const MONITOR_RETRY_MS = 1_000;

/** What the lock command needs from its surroundings (injectable for tests). */
export interface LockCommandDeps {
  readonly clock: Clock;
  readonly signals: ShutdownSignals;
  /** Between SIGTERM and SIGKILL for a child whose lock was lost (Consul: 5 s). */
  readonly killGraceMs?: number;
  /** Builds the agent API from the command's HTTP client (a fake in unit tests). */
  readonly api?: (client: HttpClient) => LockApi;
}

const DESCRIPTION = `  Acquires a lock or semaphore at a given path, and invokes a child process
  when successful. The child process can assume the lock is held while it
  executes. If the lock is lost or communication is disrupted the child
  process will be sent a SIGTERM signal and given time to gracefully exit.
  After the grace period expires the process will be hard terminated.

  When -n=1, only a single lock holder or leader exists providing mutual
  exclusion. Setting a higher value switches to a semaphore allowing multiple
  holders to coordinate.

  The prefix provided must have write privileges.`;

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function once(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

function formatGrace(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * `sextant lock [options] PREFIX CHILD…` — Consul's `lock` command: takes a lock
 * (`<prefix>/.lock`, one holder) or, with `-n` > 1, a semaphore slot, runs the child with
 * CONSUL_LOCK_HELD=true while it holds it, SIGTERMs (then SIGKILLs after 5 s) the child when the
 * lock is lost, and releases the lock and destroys its session when the child exits.
 * SIGINT/SIGTERM are forwarded to a running child and end the command cleanly.
 */
export function createLockCommand(deps: LockCommandDeps): Command {
  const graceMs = deps.killGraceMs ?? LOCK_KILL_GRACE_MS;
  return defineHttpCommand({
    name: 'lock',
    synopsis: 'Execute a command holding a lock',
    usage: '[options] prefix child...',
    description: DESCRIPTION,
    flags: [
      {
        name: 'child-exit-code',
        kind: 'bool',
        usage:
          "Exit 2 if the child process exited with an error if this is true, otherwise this doesn't propagate an error from the child. The default value is false.",
      },
      {
        name: 'n',
        kind: 'int',
        default: 1,
        usage:
          'Optional limit on the number of concurrent lock holders. The underlying implementation switches from a lock to a semaphore when the value is greater than 1. The default value is 1.',
      },
      {
        name: 'monitor-retry',
        kind: 'int',
        default: 3,
        usage:
          'Number of times to retry if Sextant returns a 500 error while monitoring the lock. This allows riding out brief periods of unavailability without causing leader elections, but increases the amount of time required to detect a lost lock in some cases. The default value is 3, with a 1s wait between retries. Set this value to 0 to disable retires.',
      },
      {
        name: 'name',
        kind: 'string',
        usage: 'Optional name to associate with the lock session. It not provided, one is generated based on the provided child command.',
      },
      { name: 'pass-stdin', kind: 'bool', usage: 'Pass stdin to the child process.' },
      {
        name: 'shell',
        kind: 'bool',
        default: true,
        usage: 'Use a shell to run the command (can set a custom shell via the SHELL environment variable).',
      },
      {
        name: 'timeout',
        kind: 'duration',
        usage: 'Maximum amount of time to wait to acquire the lock, specified as a duration like "1s" or "3h". The default value is 0.',
      },
      { name: 'try', kind: 'duration', usage: 'DEPRECATED. Use -timeout instead.' },
      { name: 'verbose', kind: 'bool', usage: 'Enable verbose (debugging) output.' },
    ],
    run: async ({ flags, args, client, io, out, err }) => {
      const v = flags.values;
      const limit = v['n'] as number;
      const verbose = v['verbose'] === true;
      const info = (t: string): void => {
        if (verbose) out(t);
      };
      if (limit <= 0) {
        err('Lock holder limit must be positive');
        return 1;
      }
      if (args.length < 2) {
        err('Key prefix and child command must be specified');
        return 1;
      }
      const prefix = args[0]!.startsWith('/') ? args[0]!.slice(1) : args[0]!;
      const childArgs = args.slice(1);
      // -timeout and the deprecated -try set the same value; the later one on the line wins.
      const lastTimeout = [...flags.occurrences].reverse().find((o) => o.name === 'timeout' || o.name === 'try');
      const timeoutNs = (lastTimeout?.value as bigint | undefined) ?? 0n;
      if (timeoutNs < 0n) {
        err('Timeout must be positive');
        return 1;
      }
      const monitorRetry = v['monitor-retry'] as number;
      const name = (v['name'] as string) || `Sextant lock for '${childArgs.join(' ')}' at '${prefix}'`;
      const oneshot = timeoutNs > 0n;
      if (monitorRetry < 0) {
        err("Number for 'monitor-retry' must be >= 0");
        return 1;
      }

      const api = deps.api ? deps.api(client) : new HttpLockApi(client);
      try {
        await api.nodeName();
      } catch (e) {
        err(`Error querying Sextant agent: ${msg(e)}`);
        return 1;
      }

      const common = {
        sessionName: name,
        monitorRetries: monitorRetry,
        monitorRetryMs: MONITOR_RETRY_MS,
        ...(oneshot ? { tryOnce: true, waitMs: Number(timeoutNs) / 1e6 } : {}),
      };
      let lu: DistributedLock;
      if (limit === 1) {
        const key = joinKey(prefix, SEMAPHORE_KEY);
        info(`Setting up lock at path: ${key}`);
        lu = new LockRecipe(api, deps.clock, { ...common, key });
      } else {
        info(`Setting up semaphore (limit ${limit}) at prefix: ${prefix}`);
        lu = new SemaphoreRecipe(api, deps.clock, { ...common, prefix, limit });
      }

      const hold = new EventLoopHold();
      const shutdown = new AbortController();
      let child: LockChild | undefined;
      const unsubscribe = deps.signals.subscribe((sig) => {
        // Consul forwards SIGINT/SIGTERM to a running child, and either one is also a shutdown.
        if (child && !child.hasExited && !child.signal(sig)) err(`Warning, could not forward signal: ${sig}`);
        shutdown.abort();
      });
      try {
        info('Attempting lock acquisition');
        let lost: AbortSignal | null;
        try {
          lost = await lu.acquire(shutdown.signal);
        } catch (e) {
          err(`Lock acquisition failed: ${msg(e)}`);
          return 1;
        }
        if (!lost) {
          err('Shutdown triggered or timeout during lock acquisition');
          return 1;
        }

        let childCode = 0;
        if (shutdown.signal.aborted) {
          err('Shutdown triggered during lock acquisition');
        } else {
          info('Starting handler');
          const passStdin = v['pass-stdin'] === true;
          if (passStdin) info('Stdin passed to handler process');
          const own = io.stdout === process.stdout && io.stderr === process.stderr;
          child = LockChild.start(deps.clock, {
            args: childArgs,
            shell: v['shell'] === true,
            shellPath: io.env['SHELL'] || '/bin/sh',
            env: io.env,
            stdio: {
              stdout: own ? 'inherit' : io.stdout,
              stderr: own ? 'inherit' : io.stderr,
              ...(passStdin ? { stdin: io.stdin === processIo().stdin ? ('inherit' as const) : io.stdin } : {}),
            },
          });
          const outcome = await Promise.race([
            child.exited.then((x) => ({ kind: 'child' as const, x })),
            once(shutdown.signal).then(() => ({ kind: 'shutdown' as const })),
            once(lost).then(() => ({ kind: 'lost' as const })),
          ]);
          if (outcome.kind === 'child') {
            const x = outcome.x;
            if (x.error !== undefined) {
              err(x.startFailed ? `Error starting handler: ${x.error}` : `Error running handler: ${x.error}`);
              childCode = 2;
            }
            info('Child terminated, releasing lock');
          } else {
            info(outcome.kind === 'shutdown' ? 'Shutdown triggered, killing child' : 'Lock lost, killing child');
            if (child.pid === undefined) {
              info('No child process to kill');
            } else {
              const pid = child.pid;
              const ended = await child.terminate(graceMs, (step) => {
                if (step === 'term') info(`Terminating child pid ${pid}`);
                else if (step === 'grace-expired') info(`Child did not exit after grace period of ${formatGrace(graceMs)}`);
                else info(`Killing child pid ${pid}`);
              });
              if (ended === 'SIGTERM') info('Child terminated');
            }
          }
        }

        try {
          await lu.release();
        } catch (e) {
          err(`Lock release failed: ${msg(e)}`);
          return 1;
        }
        try {
          await lu.destroy();
          info('Cleanup succeeded');
        } catch (e) {
          if (isSextantError(e, ErrorCode.LockInUse)) info('Cleanup aborted, lock in use');
          else {
            err(`Lock cleanup failed: ${msg(e)}`);
            return 1;
          }
        }
        return v['child-exit-code'] === true ? childCode : 0;
      } finally {
        unsubscribe();
        hold.release();
      }
    },
  });
}

/** `sextant lock` on the system clock and the process's signals. */
export const lockCommand: Command = createLockCommand({ clock: new SystemClock(), signals: processShutdownSignals });
