import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with the exit code once the process has exited and its stdout/stderr pipes have
 * been drained. 'exit' alone can fire before the last output is read; 'close' alone can wait
 * forever when a grandchild keeps the pipes open, so the drain is bounded by `drainMs`.
 */
export function exitWithOutput(proc: ChildProcess, drainMs = 2000): Promise<number | null> {
  return new Promise((resolve) => {
    let code: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      resolve(code);
    };
    proc.once('close', (c: number | null) => {
      code = c;
      done();
    });
    proc.once('exit', (c: number | null) => {
      code = c;
      timer = setTimeout(done, drainMs);
    });
  });
}
