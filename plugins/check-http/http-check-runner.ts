import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner } from '../../contracts/ports/check-runner.js';
import { DEFAULT_OUTPUT_MAX_SIZE, durationFieldNs, nsToMs, outputMaxSize, ProbeDeadline, TailBuffer, validateDurationField, validateOutputMaxSize } from 'sextant/plugin-sdk';
import { goHttpErrorText } from './go-http-error.js';

/** Consul's default HTTP check timeout. */
export const HTTP_DEFAULT_TIMEOUT_NS = 10_000_000_000n;
/** Consul's User-Agent for HTTP checks (unless the definition sets one). */
export const HEALTH_CHECK_USER_AGENT = 'Consul Health Check';
/** Consul's Accept header for HTTP checks (unless the definition sets one). */
export const HEALTH_CHECK_ACCEPT = 'text/plain, text/*, */*';
/** Go's http.Client gives up after this many redirects. */
const MAX_REDIRECTS = 10;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface HttpCheckRunnerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The agent-wide output cap in bytes (Consul's check_output_max_size); default 4096. */
  readonly checkOutputMaxSize?: number;
}

/** The parts of a definition one request needs. */
interface Target {
  url: URL;
  /** The URL text Go would print for this hop (the configured string for the first request). */
  text: string;
  method: string;
  body: Buffer | undefined;
  hostOverride: string | undefined;
}

/**
 * The `http` check kind (Consul's CheckHTTP). One request per probe: `method` (default GET),
 * `header` (name → list of values), `body`, `tls_skip_verify`, `tls_server_name`,
 * `disable_redirects` (else up to 10 redirects are followed, as Go's client does). A `Host`
 * header sets the request's Host; keep-alives are off; User-Agent `Consul Health Check` and
 * Accept `text/plain, text/*, *\/*` unless set. 2xx is passing, 429 warning, anything else
 * critical, with output `HTTP <METHOD> <url>: <code> <reason> Output: <last bytes of body>`;
 * a transport failure or the timeout (default 10s) is critical with Go's error text.
 */
export class HttpCheckRunner implements CheckRunner {
  readonly kind = 'http';

  constructor(private readonly opts: HttpCheckRunnerOptions) {}

  /** True for a definition with a non-empty `http` field. */
  accepts(def: CheckDefinition): boolean {
    return typeof def.http === 'string' && def.http !== '';
  }

  /** Refuses an unparsable or non-http(s) URL and malformed method/header/body/flags/durations. */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    if (typeof def.http !== 'string') return 'http: must be a URL string';
    let url: URL;
    try {
      url = new URL(def.http);
    } catch {
      return `http: invalid URL ${JSON.stringify(def.http)}`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return `http: unsupported protocol scheme ${JSON.stringify(url.protocol.slice(0, -1))} in ${JSON.stringify(def.http)}`;
    if (def.method !== undefined && def.method !== null && def.method !== '') {
      if (typeof def.method !== 'string' || !TOKEN.test(def.method)) return `method: invalid method ${JSON.stringify(def.method)}`;
    }
    const h = def.header;
    if (h !== undefined && h !== null) {
      if (typeof h !== 'object' || Array.isArray(h)) return 'header: must be a map of header name to a list of values';
      for (const [name, values] of Object.entries(h)) {
        if (!TOKEN.test(name)) return `header: invalid header name ${JSON.stringify(name)}`;
        if (!Array.isArray(values) || !values.every((v) => typeof v === 'string'))
          return `header: ${JSON.stringify(name)} must be a list of strings`;
        if (values.some((v: string) => /[\r\n\0]/.test(v))) return `header: ${JSON.stringify(name)} has a value with a line break`;
      }
    }
    if (def.body !== undefined && def.body !== null && typeof def.body !== 'string') return 'body: must be a string';
    for (const f of ['tls_skip_verify', 'disable_redirects'] as const) {
      if (def[f] !== undefined && def[f] !== null && typeof def[f] !== 'boolean') return `${f}: must be true or false`;
    }
    if (def.tls_server_name !== undefined && def.tls_server_name !== null && typeof def.tls_server_name !== 'string')
      return 'tls_server_name: must be a string';
    return validateDurationField(def, 'timeout') ?? validateOutputMaxSize(def);
  }

  /** Sends the request (following redirects unless disabled) and maps the status; never rejects. */
  async probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    const method = typeof def.method === 'string' && def.method !== '' ? def.method : 'GET';
    const configured = String(def.http);
    const op = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
    const headers = headerEntries(def.header);
    const deadline = new ProbeDeadline(this.opts.clock, nsToMs(durationFieldNs(def, 'timeout', HTTP_DEFAULT_TIMEOUT_NS)), signal);
    let hop: Target | undefined;
    try {
      let url: URL;
      try {
        url = new URL(configured);
      } catch {
        return { status: 'critical', output: `parse ${JSON.stringify(configured)}: invalid URL` };
      }
      const body = typeof def.body === 'string' && def.body !== '' ? Buffer.from(def.body) : undefined;
      hop = { url, text: configured, method, body, hostOverride: headers.find(([k]) => k.toLowerCase() === 'host')?.[1][0] };
      for (let redirects = 0; ; ) {
        const res = await this.send(hop, headers, def, deadline.signal);
        const location = res.headers.location;
        if (def.disable_redirects !== true && REDIRECT_CODES.has(res.statusCode ?? 0) && location) {
          res.destroy();
          let next: URL;
          try {
            next = new URL(location, hop.url);
          } catch {
            return { status: 'critical', output: `${op} ${JSON.stringify(hop.text)}: failed to parse Location header ${JSON.stringify(location)}` };
          }
          if (++redirects > MAX_REDIRECTS) return { status: 'critical', output: `${op} ${JSON.stringify(next.href)}: stopped after 10 redirects` };
          hop = nextHop(hop, res.statusCode!, next, location);
          continue;
        }
        const out = new TailBuffer(outputMaxSize(def, this.opts.checkOutputMaxSize ?? DEFAULT_OUTPUT_MAX_SIZE));
        await readBody(res, out);
        const code = res.statusCode ?? 0;
        const statusText = res.statusMessage ? `${code} ${res.statusMessage}` : String(code);
        const output = `HTTP ${method} ${configured}: ${statusText} Output: ${out.text()}`;
        if (code >= 200 && code <= 299) return { status: 'passing', output };
        if (code === 429) return { status: 'warning', output };
        return { status: 'critical', output };
      }
    } catch (e) {
      const output = `${op} ${JSON.stringify(hop?.text ?? configured)}: ${goHttpErrorText(e as NodeJS.ErrnoException, deadline)}`;
      this.opts.logger.debug('HTTP check request failed', { check: def.id, error: output });
      return { status: 'critical', output };
    } finally {
      deadline.dispose();
    }
  }

  /** Nothing runner-wide to release (every request has its own connection). */
  async close(): Promise<void> {}

  private send(hop: Target, headers: [string, string[]][], def: CheckDefinition, signal: AbortSignal): Promise<IncomingMessage> {
    const out: OutgoingHttpHeaders = {};
    const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
    for (const [k, values] of headers) {
      if (k.toLowerCase() === 'host') continue;
      out[k] = values.length === 1 ? values[0] : values;
    }
    if (!has('user-agent')) out['User-Agent'] = HEALTH_CHECK_USER_AGENT;
    if (!has('accept')) out['Accept'] = HEALTH_CHECK_ACCEPT;
    if (!has('connection')) out['Connection'] = 'close';
    if (hop.hostOverride !== undefined) out['Host'] = hop.hostOverride;
    if (hop.body !== undefined && !has('content-length')) out['Content-Length'] = String(hop.body.length);
    const https = hop.url.protocol === 'https:';
    const hostname = hop.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const tlsServerName = typeof def.tls_server_name === 'string' && def.tls_server_name !== '' ? def.tls_server_name : undefined;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const options = {
        hostname,
        port: hop.url.port || (https ? 443 : 80),
        path: hop.url.pathname + hop.url.search,
        method: hop.method,
        headers: out,
        agent: false as const,
        signal,
        ...(https
          ? {
              rejectUnauthorized: def.tls_skip_verify !== true,
              // Like Go: SNI and verification use the URL's host (or tls_server_name), never the Host header.
              servername: tlsServerName ?? (isIP(hostname) ? '' : hostname),
            }
          : {}),
      };
      const req = (https ? httpsRequest : httpRequest)(options, resolve);
      req.once('error', reject);
      req.end(hop.body);
    });
  }
}

/** The definition's header map as [name, values] pairs, dropping names with no values. */
function headerEntries(h: unknown): [string, string[]][] {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return [];
  const out: [string, string[]][] = [];
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    const values = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    if (values.length > 0) out.push([k, values]);
  }
  return out;
}

/** Go's redirect rules: 301/302/303 turn a non-GET/HEAD into a body-less GET; 307/308 replay as is. */
function nextHop(prev: Target, code: number, next: URL, location: string): Target {
  let method = prev.method;
  let body = prev.body;
  if ((code === 301 || code === 302 || code === 303) && method !== 'GET' && method !== 'HEAD') {
    method = 'GET';
    body = undefined;
  }
  // A custom Host survives only a relative redirect (Go keeps it when Location has no host).
  const relative = !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location) && !location.startsWith('//');
  return { url: next, text: next.href, method, body, hostOverride: relative ? prev.hostOverride : undefined };
}

/** Reads the body into `out` until it ends, errors or is cut off by the deadline. */
function readBody(res: IncomingMessage, out: TailBuffer): Promise<void> {
  return new Promise((resolve) => {
    res.on('data', (c: Buffer) => out.write(c));
    res.once('end', resolve);
    res.once('error', () => resolve());
    res.once('close', resolve);
  });
}
