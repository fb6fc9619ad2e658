import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './free-port.js';

/** Where Debian's serf package puts the agent. */
export const SERF = '/usr/bin/serf';

/** A running `serf agent` on 127.0.0.1. */
export interface SerfProcess {
  /** The gossip port (-bind). */
  port: number;
  /** The RPC address (-rpc-addr) the serf CLI talks to. */
  rpc: string;
  proc: ChildProcess;
  /** Everything the agent printed so far. */
  output(): string;
}

/**
 * Starts `serf agent -node <name> -bind 127.0.0.1:<port> -rpc-addr 127.0.0.1:<port> ...args` on
 * ports that were free a moment ago, and waits for "Serf agent running". Another test file can
 * take such a port before serf binds it; serf then exits with "address already in use", and a
 * fresh pair of ports is tried (3 attempts in all). `track` is given every process started, to
 * kill after the test.
 */
export async function startSerfProcess(name: string, args: string[], track: (proc: ChildProcess) => void): Promise<SerfProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const rpc = `127.0.0.1:${await freePort()}`;
    const proc = spawn(SERF, ['agent', '-node', name, '-bind', `127.0.0.1:${port}`, '-rpc-addr', rpc, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !out.includes('Serf agent running') && proc.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    if (out.includes('Serf agent running')) return { port, rpc, proc, output: () => out };
    proc.kill('SIGKILL');
    if (!out.includes('address already in use') || attempt === 3) throw new Error(`serf ${name} did not start:\n${out}`);
  }
}
