import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A child Node process with a bare HTTP server that reads each request's body and answers
 * `true` on the next turn: no framework, no storage. Under the same load generator it shows the
 * latency this machine adds on its own (scheduling of the load generator and the server on
 * shared cores), a floor for what an agent's figures can be read against.
 */
export async function startBareHttpServer(host: string): Promise<{ port: number; stop: () => void }> {
  const script = `
    const s = require('node:http').createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => setImmediate(() => res.end('true')));
    });
    s.listen(0, ${JSON.stringify(host)}, () => console.log(s.address().port));`;
  const proc: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', (code) => reject(new Error(`bare HTTP server exited with ${code}`)));
  });
  return { port, stop: () => void proc.kill('SIGKILL') };
}
