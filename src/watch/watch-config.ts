import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { parseGoDuration } from '../config/go-duration.js';
import type { HttpHandlerConfig } from './watch-handler.js';
import type { WatchSpec } from './watch-types.js';
import { parseWatchParams } from './watch-types.js';

/**
 * One entry of the config's `watches`, checked as Consul's agent checks it (agent.go
 * reloadWatches and watch.ParseExempt): the watch's own parameters, `handler_type` `script`
 * (default; `args`, or the deprecated `handler` string run by the shell) or `http` with
 * `http_handler_config {path, method (POST), header, timeout (10s), tls_skip_verify}`.
 */

export type WatchHandlerDefinition =
  | { readonly kind: 'script'; readonly shell?: string; readonly args?: readonly string[] }
  | { readonly kind: 'http'; readonly config: HttpHandlerConfig };

export interface WatchDefinition {
  readonly spec: WatchSpec;
  readonly handler: WatchHandlerDefinition;
  /** Whether it uses the deprecated `handler` field (a warning at load). */
  readonly deprecatedHandler: boolean;
}

export const HTTP_HANDLER_DEFAULT_TIMEOUT_MS = 10_000;

function bad(message: string): SextantError {
  return new SextantError(ErrorCode.ConfigInvalid, message);
}

function httpConfig(raw: unknown): HttpHandlerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad("Handler type 'http' requires 'http_handler_config' to be set");
  const c = raw as Record<string, unknown>;
  const path = typeof c['path'] === 'string' ? c['path'] : '';
  if (path === '') throw bad("Requires 'path' in http_handler_config");
  try {
    new URL(path);
  } catch {
    throw bad(`http_handler_config.path is not a URL: ${path}`);
  }
  const method = typeof c['method'] === 'string' && c['method'] !== '' ? c['method'] : 'POST';
  let timeoutMs = HTTP_HANDLER_DEFAULT_TIMEOUT_MS;
  if (typeof c['timeout'] === 'string' && c['timeout'] !== '') {
    try {
      timeoutMs = Number(parseGoDuration(c['timeout']) / 1_000_000n);
    } catch (e) {
      throw bad(`Failed to parse timeout: ${(e as Error).message}`);
    }
  }
  const header: Record<string, string[]> = {};
  const h = c['header'];
  if (typeof h === 'object' && h !== null && !Array.isArray(h)) {
    for (const [k, v] of Object.entries(h)) {
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) header[k] = v as string[];
      else if (typeof v === 'string') header[k] = [v];
      else throw bad(`http_handler_config.header.${k} must be a list of strings`);
    }
  }
  return { path, method, header, timeoutMs, tlsSkipVerify: c['tls_skip_verify'] === true };
}

/** Parses one `watches` entry; throws SextantError CONFIG_INVALID with Consul's message. */
export function parseWatchDefinition(raw: Readonly<Record<string, unknown>>): WatchDefinition {
  const handlerType = raw['handler_type'] ?? 'script';
  if (handlerType !== 'script' && handlerType !== 'http') throw bad(`Handler type '${String(handlerType)}' not recognized`);
  if (typeof raw['type'] === 'string' && raw['type'].startsWith('connect_')) throw bad(`Watch type ${raw['type']} is not allowed in agent config`);
  const spec = parseWatchParams(raw, ['handler_type', 'handler', 'args', 'http_handler_config']);
  const hasHandler = 'handler' in raw;
  const hasArgs = 'args' in raw;
  if (hasHandler && typeof raw['handler'] !== 'string') throw bad('Watch handler must be a string');
  const args = raw['args'];
  if (hasArgs && !(Array.isArray(args) && args.every((a) => typeof a === 'string'))) throw bad('Watch args must be a list of strings');
  if ((hasHandler && hasArgs) || ((hasHandler || hasArgs) && handlerType === 'http')) throw bad('Only one watch handler allowed');
  if (!hasHandler && !hasArgs && handlerType !== 'http') throw bad('Must define a watch handler');
  if (handlerType === 'http') return { spec, handler: { kind: 'http', config: httpConfig(raw['http_handler_config']) }, deprecatedHandler: false };
  if (hasArgs && (args as string[]).length === 0) throw bad('Watch args must not be empty');
  const handler: WatchHandlerDefinition = hasHandler ? { kind: 'script', shell: raw['handler'] as string } : { kind: 'script', args: args as string[] };
  return { spec, handler, deprecatedHandler: hasHandler };
}

/**
 * Checks every entry of `watches` at config load: the problems (`watches[1]: Must specify a
 * single key to watch`) and the warnings (the deprecated `handler` field).
 */
export function validateWatches(list: readonly unknown[]): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  list.forEach((w, i) => {
    if (typeof w !== 'object' || w === null || Array.isArray(w)) {
      problems.push(`watches[${i}]: a watch must be an object`);
      return;
    }
    try {
      const d = parseWatchDefinition(w as Record<string, unknown>);
      if (d.deprecatedHandler) {
        warnings.push(`watches[${i}]: The 'handler' field in watches has been deprecated and replaced with the 'args' field. See https://www.consul.io/docs/agent/watches.html`);
      }
    } catch (e) {
      problems.push(`watches[${i}]: ${(e as Error).message}`);
    }
  });
  return { problems, warnings };
}
