import { request, type IncomingMessage } from 'node:http';
import { goDialErrorText, joinHostPort } from 'sextant/plugin-sdk';
import type { DockerEndpoint } from './docker-host.js';
import { DockerStreamDemuxer } from './docker-stream-demuxer.js';

/** The state of a finished (or finishing) exec instance. */
export interface ExecInspection {
  readonly running: boolean;
  readonly exitCode: number | null;
}

/** A failed Engine API call, with Consul's error text as the message. */
export class DockerCallError extends Error {}

interface Reply {
  readonly code: number;
  readonly body: string;
}

/** Error bodies are kept to this many bytes in messages. */
const ERROR_BODY_MAX = 4096;

/**
 * The three Docker Engine API calls a docker check needs (as Consul's DockerClient makes them),
 * over a unix socket or TCP, one connection per call. Errors are DockerCallError carrying
 * Consul's texts (`create exec failed for unknown container <id>`, …).
 */
export class DockerEngineClient {
  constructor(private readonly endpoint: DockerEndpoint) {}

  /** The endpoint as text, for logs. */
  get host(): string {
    return this.endpoint.network === 'unix' ? `unix://${this.endpoint.socketPath}` : `tcp://${joinHostPort(this.endpoint.host, this.endpoint.port)}`;
  }

  /** POST /containers/{id}/exec: creates an exec of `cmd` with stdout and stderr attached; resolves its id. */
  async createExec(containerId: string, cmd: readonly string[], signal: AbortSignal): Promise<string> {
    const path = `/containers/${encodeURIComponent(containerId)}/exec`;
    const body = { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: cmd };
    let r: Reply;
    try {
      r = await this.call('POST', path, body, signal);
    } catch (e) {
      throw new DockerCallError(`create exec failed for container ${containerId}: ${this.callErrorText('POST', path, e)}`);
    }
    if (r.code === 404) throw new DockerCallError(`create exec failed for unknown container ${containerId}`);
    if (r.code === 409) throw new DockerCallError(`create exec failed since container ${containerId} is paused or stopped`);
    if (r.code !== 201) throw new DockerCallError(`create exec failed for container ${containerId} with status ${r.code}: ${r.body}`);
    try {
      const id = (JSON.parse(r.body) as { Id?: unknown }).Id;
      if (typeof id !== 'string' || id === '') throw new Error('missing Id');
      return id;
    } catch (e) {
      throw new DockerCallError(`create exec response for container ${containerId} cannot be parsed: ${(e as Error).message}`);
    }
  }

  /**
   * POST /exec/{id}/start with Detach and Tty false: streams the multiplexed output into
   * `onOutput` until the exec's process ends and the engine closes the stream.
   */
  async startExec(containerId: string, execId: string, onOutput: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    const path = `/exec/${encodeURIComponent(execId)}/start`;
    let res: IncomingMessage;
    try {
      res = await this.open('POST', path, { Detach: false, Tty: false }, signal);
    } catch (e) {
      throw new DockerCallError(`start exec failed for container ${containerId}: ${this.callErrorText('POST', path, e)}`);
    }
    if (res.statusCode !== 200) {
      const body = await readText(res);
      if (res.statusCode === 404) throw new DockerCallError(`start exec failed for container ${containerId}: invalid exec id ${execId}`);
      if (res.statusCode === 409) throw new DockerCallError(`start exec failed since container ${containerId} is paused or stopped`);
      throw new DockerCallError(`start exec failed for container ${containerId} with status ${res.statusCode}: body: ${body} err: <nil>`);
    }
    const demux = new DockerStreamDemuxer((_stream, payload) => onOutput(payload));
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        try {
          demux.push(c);
        } catch (e) {
          res.destroy();
          reject(new DockerCallError(`start exec failed for container ${containerId}: ${(e as Error).message}`));
        }
      });
      res.once('end', () => {
        demux.end();
        resolve();
      });
      res.once('error', (e) => reject(new DockerCallError(`start exec failed for container ${containerId}: ${this.callErrorText('POST', path, e)}`)));
      res.once('close', () => {
        if (!res.complete) reject(new DockerCallError(`start exec failed for container ${containerId}: ${this.callErrorText('POST', path, new Error('unexpected EOF'))}`));
      });
    });
  }

  /** GET /exec/{id}/json: whether the exec still runs and its exit code. */
  async inspectExec(containerId: string, execId: string, signal: AbortSignal): Promise<ExecInspection> {
    const path = `/exec/${encodeURIComponent(execId)}/json`;
    let r: Reply;
    try {
      r = await this.call('GET', path, undefined, signal);
    } catch (e) {
      throw new DockerCallError(`inspect exec failed for container ${containerId}: ${this.callErrorText('GET', path, e)}`);
    }
    if (r.code === 404) throw new DockerCallError(`inspect exec failed for container ${containerId}: invalid exec id ${execId}`);
    if (r.code !== 200) throw new DockerCallError(`inspect exec failed for container ${containerId} with status ${r.code}: ${r.body}`);
    try {
      const j = JSON.parse(r.body) as { Running?: unknown; ExitCode?: unknown };
      return { running: j.Running === true, exitCode: typeof j.ExitCode === 'number' ? j.ExitCode : null };
    } catch (e) {
      throw new DockerCallError(`inspect exec response for container ${containerId} cannot be parsed: ${(e as Error).message}`);
    }
  }

  private async call(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Reply> {
    const res = await this.open(method, path, body, signal);
    return { code: res.statusCode ?? 0, body: await readText(res) };
  }

  private open(method: string, path: string, body: unknown, signal: AbortSignal): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const ep = this.endpoint;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...(ep.network === 'unix' ? { socketPath: ep.socketPath } : { host: ep.host, port: ep.port }),
          method,
          path,
          agent: false,
          signal,
          headers: {
            Host: ep.network === 'unix' ? 'unix' : joinHostPort(ep.host, ep.port),
            'User-Agent': 'Go-http-client/1.1',
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          },
        },
        resolve,
      );
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** Go's *url.Error text for a failed call: `Post "http://unix/exec/x/start": dial unix /s: connect: …`. */
  private callErrorText(method: string, path: string, e: unknown): string {
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const ep = this.endpoint;
    const base = ep.network === 'unix' ? 'http://unix' : `http://${joinHostPort(ep.host, ep.port)}`;
    const op = method.charAt(0) + method.slice(1).toLowerCase();
    let inner: string;
    if (err.syscall === 'connect')
      inner = ep.network === 'unix' ? goDialErrorText('unix', ep.socketPath, err) : goDialErrorText('tcp', joinHostPort(err.address ?? ep.host, err.port ?? ep.port), err);
    else if (err.code === 'ECONNRESET' && err.message === 'socket hang up') inner = 'EOF';
    else inner = err.message;
    return `${op} ${JSON.stringify(base + path)}: ${inner}`;
  }
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < ERROR_BODY_MAX) chunks.push(c);
      size += c.length;
    });
    res.once('end', () => resolve(Buffer.concat(chunks).subarray(0, ERROR_BODY_MAX).toString('utf8')));
    res.once('error', reject);
  });
}
