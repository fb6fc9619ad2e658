import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { WatchHandler } from './watch-plan.js';
import { goJson } from './watch-types.js';

/**
 * The two handler kinds of Consul's watches (agent/watch_handler.go and command/watch): a
 * script (a `handler` string run by the shell, or `args` run directly) that gets the result as
 * JSON on stdin and CONSUL_INDEX in its environment; and an HTTP call that gets it as the body.
 */

/** How a script handler is run. */
export interface ScriptHandlerOptions {
  /** Run through `$SHELL -c` (default /bin/sh): Consul's `handler` and the CLI's default. */
  readonly shell?: string;
  /** Run directly (Consul's `args`; the CLI's -shell=false). */
  readonly args?: readonly string[];
  /** Environment (CONSUL_INDEX is added). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the child's stdout/stderr go: inherited (the CLI) or collected and logged (the agent). */
  readonly output: 'inherit' | 'log';
  readonly logger: Logger;
}

/** The outcome of one script run. */
export interface ScriptRun {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Collected stdout+stderr ('' when inherited). */
  readonly output: string;
}

/**
 * Runs a script handler once with `data` on stdin (Go's json.Encoder form). Rejects when the
 * command cannot be started; resolves with the exit status otherwise.
 */
export function runScriptHandler(o: ScriptHandlerOptions, index: bigint, data: unknown): Promise<ScriptRun> {
  const env = { ...o.env, CONSUL_INDEX: index.toString() };
  const sh = o.env['SHELL'] !== undefined && o.env['SHELL'] !== '' ? o.env['SHELL'] : '/bin/sh';
  const [file, argv] = o.args !== undefined ? [o.args[0] ?? '', o.args.slice(1)] : [sh, ['-c', o.shell ?? '']];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, stdio: ['pipe', o.output === 'inherit' ? 'inherit' : 'pipe', o.output === 'inherit' ? 'inherit' : 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output: Buffer.concat(chunks).toString('utf8') }));
    child.stdin?.on('error', () => undefined); // a handler that does not read its stdin
    child.stdin?.end(goJson(data));
  });
}

/** Go's exec error text for an unsuccessful run: `exit status 3` or `signal: killed`. */
export function exitText(r: ScriptRun): string {
  return r.code !== null ? `exit status ${r.code}` : `signal: ${r.signal ?? 'unknown'}`;
}

/** The agent's script handler (Consul's makeWatchHandler): output logged at debug, a failure logged at error. */
export function scriptWatchHandler(o: ScriptHandlerOptions): WatchHandler {
  return async (index, data) => {
    let r: ScriptRun;
    try {
      r = await runScriptHandler(o, index, data);
    } catch (e) {
      o.logger.error('Failed to run watch handler', { handler: o.args?.join(' ') ?? o.shell, error: (e as Error).message });
      return;
    }
    if (r.output !== '') o.logger.debug('watch handler output', { watch_handler: o.args?.join(' ') ?? o.shell, output: r.output });
    if (r.code !== 0) o.logger.error('Failed to run watch handler', { handler: o.args?.join(' ') ?? o.shell, error: exitText(r) });
  };
}

/** Consul's http_handler_config, decoded. */
export interface HttpHandlerConfig {
  readonly path: string;
  /** Default POST. */
  readonly method: string;
  /** Header name → values. */
  readonly header: Readonly<Record<string, readonly string[]>>;
  /** Default 10 s. */
  readonly timeoutMs: number;
  readonly tlsSkipVerify: boolean;
}

/**
 * The agent's HTTP handler (Consul's makeHTTPWatchHandler): `method` to `path` with the result
 * as a JSON body, Content-Type application/json, X-Consul-Index and the configured headers,
 * aborted after `timeoutMs`; an error or a non-2xx answer is logged, never thrown.
 */
export function httpWatchHandler(cfg: HttpHandlerConfig, clock: Clock, logger: Logger): WatchHandler {
  return (index, data) =>
    new Promise<void>((resolve) => {
      const body = Buffer.from(goJson(data), 'utf8');
      const url = new URL(cfg.path);
      const headers: Record<string, string | string[]> = {
        'Content-Type': 'application/json',
        'X-Consul-Index': index.toString(),
        'Content-Length': String(body.length),
      };
      for (const [k, v] of Object.entries(cfg.header)) headers[k] = [...v];
      const abort = new AbortController();
      const timer = clock.setTimeout(() => abort.abort(new Error(`timeout after ${cfg.timeoutMs}ms`)), cfg.timeoutMs);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: cfg.method, headers, signal: abort.signal, ...(url.protocol === 'https:' && cfg.tlsSkipVerify ? { rejectUnauthorized: false } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          timer.cancel();
          const output = Buffer.concat(chunks).toString('utf8');
          logger.debug('watch handler output', { watch: index.toString(), output });
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) logger.error('http watch handler failed with status code', { watch: index.toString(), status_code: status, output });
          resolve();
        });
        res.on('error', () => {
          timer.cancel();
          resolve();
        });
      });
      req.on('error', (e) => {
        timer.cancel();
        logger.error('Failed to invoke http watch handler', { watch: index.toString(), error: e.message });
        resolve();
      });
      req.end(body);
    });
}
