import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One piece of an exec's output, written as one multiplexed-stream frame. */
export interface FakeOutputFrame {
  readonly stream: 'stdout' | 'stderr';
  readonly data: string | Buffer;
}

/** What running a command in a fake container does. */
export interface FakeExecOutcome {
  /** Output frames in order. */
  readonly output?: readonly FakeOutputFrame[];
  readonly exitCode: number;
  /** Milliseconds the process "runs" before the stream ends (for timeout tests). */
  readonly delayMs?: number;
  /** How many exec inspections after the stream ended still say Running: true (an engine race). */
  readonly runningInspects?: number;
}

/** Decides the outcome of `cmd` run in a container. */
export type FakeCommandHandler = (cmd: readonly string[]) => FakeExecOutcome;

/** An Engine API request the fake received. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

interface Container {
  state: 'running' | 'paused' | 'exited';
  run: FakeCommandHandler;
}

interface Exec {
  readonly id: string;
  readonly containerId: string;
  readonly config: { Cmd: string[]; AttachStdout?: boolean; AttachStderr?: boolean; Tty?: boolean };
  started: boolean;
  exitCode: number | null;
  runningInspects: number;
}

/**
 * A small fake Docker Engine API server on a unix socket, speaking exactly what a docker check
 * uses: POST /containers/{id}/exec (201 {Id}; 404 unknown container; 409 paused/stopped),
 * POST /exec/{id}/start (200 with the real multiplexed stream framing — 8-byte headers
 * `[stream,0,0,0,size BE32]`, deliberately split across socket writes — or raw output when
 * Tty is true; 404 unknown exec; 409 started twice) and GET /exec/{id}/json ({Running,
 * ExitCode, …}). Paths may carry an API version prefix (`/v1.43/...`). Container commands are
 * scripted per container with a handler.
 */
export class FakeDockerEngine {
  /** Every request, in arrival order. */
  readonly requests: FakeRequest[] = [];
  private readonly containers = new Map<string, Container>();
  private readonly execs = new Map<string, Exec>();

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    private readonly dir: string,
  ) {}

  /** Starts the engine on a fresh socket in a temp directory. */
  static async start(): Promise<FakeDockerEngine> {
    const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
    const socketPath = join(dir, 'docker.sock');
    let engine: FakeDockerEngine | undefined;
    const server = createServer((req, res) => void engine!.handle(req, res));
    engine = new FakeDockerEngine(server, socketPath, dir);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    return engine;
  }

  /** `unix://<socket>`, the value for DOCKER_HOST. */
  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  /** Adds (or replaces) a container whose exec commands are answered by `run`. */
  addContainer(id: string, run: FakeCommandHandler, state: Container['state'] = 'running'): void {
    this.containers.set(id, { state, run });
  }

  /** The commands exec'd so far, per container id. */
  commands(containerId: string): string[][] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.config.Cmd);
  }

  /** Stops the server and removes the socket directory. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      return json(res, 400, { message: 'invalid JSON body' });
    }
    const path = (req.url ?? '/').split('?')[0]!.replace(/^\/v1\.\d+/, '');
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && (m = /^\/containers\/([^/]+)\/exec$/.exec(path))) return this.createExec(decodeURIComponent(m[1]!), body, res);
    if (req.method === 'POST' && (m = /^\/exec\/([^/]+)\/start$/.exec(path))) return this.startExec(decodeURIComponent(m[1]!), body, res);
    if (req.method === 'GET' && (m = /^\/exec\/([^/]+)\/json$/.exec(path))) return this.inspectExec(decodeURIComponent(m[1]!), res);
    json(res, 404, { message: 'page not found' });
  }

  private createExec(containerId: string, body: unknown, res: ServerResponse): void {
    const c = this.containers.get(containerId);
    if (!c) return json(res, 404, { message: `No such container: ${containerId}` });
    if (c.state === 'paused') return json(res, 409, { message: `Container ${containerId} is paused, unpause the container before exec` });
    if (c.state === 'exited') return json(res, 409, { message: `Container ${containerId} is not running` });
    const cfg = body as Exec['config'] | undefined;
    if (!cfg || !Array.isArray(cfg.Cmd) || cfg.Cmd.length === 0) return json(res, 400, { message: 'No exec command specified' });
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { id, containerId, config: cfg, started: false, exitCode: null, runningInspects: 0 });
    json(res, 201, { Id: id });
  }

  private async startExec(execId: string, body: unknown, res: ServerResponse): Promise<void> {
    const exec = this.execs.get(execId);
    if (!exec) return json(res, 404, { message: `No such exec instance: ${execId}` });
    if (exec.started) return json(res, 409, { message: `Exec ${execId} is already running` });
    const opts = (body ?? {}) as { Detach?: boolean; Tty?: boolean };
    if (opts.Detach) return json(res, 400, { message: 'this fake only supports attached execs (Detach: false)' });
    exec.started = true;
    const c = this.containers.get(exec.containerId)!;
    const outcome = c.run(exec.config.Cmd);
    const tty = opts.Tty === true || exec.config.Tty === true;
    res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    for (const frame of outcome.output ?? []) {
      if (frame.stream === 'stdout' && exec.config.AttachStdout === false) continue;
      if (frame.stream === 'stderr' && exec.config.AttachStderr === false) continue;
      const payload = Buffer.isBuffer(frame.data) ? frame.data : Buffer.from(frame.data, 'utf8');
      if (tty) {
        await write(res, payload);
        continue;
      }
      const header = Buffer.alloc(8);
      header[0] = frame.stream === 'stdout' ? 1 : 2;
      header.writeUInt32BE(payload.length, 4);
      // Split the header across writes, as a real network would now and then.
      await write(res, header.subarray(0, 3));
      await write(res, Buffer.concat([header.subarray(3), payload]));
    }
    if (outcome.delayMs) await new Promise((r) => setTimeout(r, outcome.delayMs));
    if (res.destroyed) return;
    exec.exitCode = outcome.exitCode;
    exec.runningInspects = outcome.runningInspects ?? 0;
    res.end();
  }

  private inspectExec(execId: string, res: ServerResponse): void {
    const exec = this.execs.get(execId);
    if (!exec) return json(res, 404, { message: `No such exec instance: ${execId}` });
    let running = exec.started && exec.exitCode === null;
    if (!running && exec.runningInspects > 0) {
      exec.runningInspects--;
      running = true;
    }
    json(res, 200, {
      ID: exec.id,
      ContainerID: exec.containerId,
      Running: running,
      ExitCode: running ? null : exec.exitCode,
      ProcessConfig: { entrypoint: exec.config.Cmd[0], arguments: exec.config.Cmd.slice(1), tty: exec.config.Tty === true },
      OpenStdout: exec.config.AttachStdout === true,
      OpenStderr: exec.config.AttachStderr === true,
      Pid: 4242,
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Writes and waits a macrotask, so consecutive writes tend to arrive as separate chunks. */
function write(res: ServerResponse, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.write(data, () => setImmediate(resolve));
  });
}
