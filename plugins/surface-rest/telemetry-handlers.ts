import { once } from 'node:events';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { TelemetryApi } from '../../contracts/services/telemetry-service.js';
import { normalizeLogLevel } from 'sextant/plugin-sdk';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson, sendText } from './respond.js';

/** /v1/agent/monitor and /v1/agent/metrics — the agent's log stream and metrics (Consul's agent_endpoint.go). */

function telemetryOf(scope: RequestScope): TelemetryApi {
  const t = scope.deps.telemetry;
  if (!t) throw new SextantError(ErrorCode.Internal, 'telemetry is not available on this agent');
  return t;
}

/**
 * GET /v1/agent/metrics — go-metrics' JSON summary of the last finished 10 s interval; with
 * `?format=prometheus` the Prometheus text exposition, or 415 with Consul's text while
 * telemetry.prometheus_retention_time is not positive.
 */
export const getMetrics: Handler = async (scope) => {
  const telemetry = telemetryOf(scope);
  if (scope.query.get('format') === 'prometheus') {
    const out = await telemetry.prometheus();
    if (!out) return sendText(scope.ctx, 415, 'Prometheus is not enabled since its retention time is not positive');
    scope.ctx.status = 200;
    scope.ctx.type = out.contentType;
    scope.ctx.body = out.body;
    return;
  }
  sendJson(scope, telemetry.metricsSummary());
};

/**
 * GET /v1/agent/monitor?loglevel=<level>[&logjson] — streams the agent's log lines (chunked,
 * one write per batch) from now until the client goes away or the agent stops. loglevel
 * defaults to INFO; an unknown one is a 400 `Unknown log level: <l>`. A slow client loses lines
 * (with a `Monitor dropped N logs…` note), never blocks the agent.
 */
export const getMonitor: Handler = async (scope) => {
  const telemetry = telemetryOf(scope);
  const raw = scope.query.get('loglevel') ?? 'INFO';
  const level = normalizeLogLevel(raw === '' ? 'INFO' : raw);
  if (!level) throw new SextantError(ErrorCode.BadRequest, `Unknown log level: ${raw}`);
  const json = scope.query.has('logjson');
  const stream = telemetry.monitor({ level, json });
  const { ctx } = scope;
  ctx.respond = false; // we own the response: headers now, then one chunk per batch
  const res = ctx.res;
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.flushHeaders();
  try {
    for (;;) {
      const lines = await stream.read(scope.signal);
      if (lines.length === 0 || res.destroyed) break;
      if (!res.write(`${lines.join('\n')}\n`)) {
        // A slow reader: wait for the socket to drain (lines meanwhile buffer, then drop).
        const ac = new AbortController();
        const onAbort = (): void => ac.abort();
        scope.signal.addEventListener('abort', onAbort, { once: true });
        try {
          await once(res, 'drain', { signal: ac.signal });
        } catch {
          break;
        } finally {
          scope.signal.removeEventListener('abort', onAbort);
        }
      }
    }
  } finally {
    const dropped = stream.close();
    scope.deps.logger.info('Dropped logs during monitor request', { dropped_count: dropped });
    if (!res.destroyed) res.end();
  }
};
