import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { exitWithOutput } from './exit-with-output.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'sextant.js');

/** A real `sextant` child process. */
export interface AgentProcess {
  proc: ChildProcess;
  /** `http://127.0.0.1:PORT` of the agent's HTTP API. */
  httpAddr: string;
  /** Everything the agent wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
  /** Resolves when the process exits. */
  exited: Promise<number | null>;
}

/** Runs a CLI command to completion: exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    void exitWithOutput(p).then((code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin ?? '');
  });
}

/**
 * Starts `sextant agent <args>` (the built CLI, as a user runs it) and resolves once the HTTP
 * API is listening. Pass `-http-port 0` (and `-dns-port -1`) to use ephemeral ports; the serf
 * LAN port is ephemeral unless `args` set it.
 */
export function startAgent(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** node flags such as --cpu-prof */
    nodeArgs?: string[];
    /** copy the agent's output to stderr */
    echo?: boolean;
    /**
     * Run the agent under this command (e.g. `['strace', '-f', '-o', file]`). `proc` is then the
     * wrapper: signal the agent itself (pass -pid-file) to stop it.
     */
    wrap?: string[];
  } = {},
): Promise<AgentProcess> {
  // Gossip listens on the serf LAN port (8301 by default): tests run many agents at once, so
  // they take an ephemeral one unless the test chose a port.
  const serfPort = args.some((a) => a.replace(/^--?/, '').startsWith('serf-lan-port')) ? [] : ['-serf-lan-port', '0'];
  const argv = [process.execPath, ...(opts.nodeArgs ?? []), BIN, 'agent', ...serfPort, ...args];
  const [file, ...rest] = [...(opts.wrap ?? []), ...argv] as [string, ...string[]];
  const proc = spawn(file, rest, {
    env: { ...process.env, ...opts.env },
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (opts.echo) {
    proc.stdout.pipe(process.stderr);
    proc.stderr.pipe(process.stderr);
  }
  let out = '';
  const exited = exitWithOutput(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`agent did not start within ${opts.timeoutMs ?? 20000} ms:\n${out}`));
    }, opts.timeoutMs ?? 20000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      // The startup banner: `Client Addr: [127.0.0.1] (HTTP: 8500, DNS: 8600)`.
      const m = /Client Addr: \[([^\] ]+)[^\]]*\] \(HTTP: (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          proc,
          httpAddr: `http://${m[1]}:${m[2]}`,
          output: () => out,
          exited,
          stop: async () => {
            proc.kill('SIGTERM');
            return exited;
          },
          kill9: async () => {
            proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it started:\n${out}`));
    });
  });
}
