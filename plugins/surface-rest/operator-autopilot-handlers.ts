import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { AutopilotSettings, OperatorService } from '../../contracts/services/operator-service.js';
import { parseGoDuration } from 'sextant/plugin-sdk';
import { decodeJsonBody } from './json-body.js';
import { readBody } from './read-body.js';
import { requestContext, writeContext } from './request-context.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendJson } from './respond.js';

/** /v1/operator/autopilot/* — Consul's agent/operator_endpoint.go, autopilot part. */

/** An autopilot configuration body is small. */
const MAX_BODY = 64 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;
const FIELDS = [
  'CleanupDeadServers', 'LastContactThreshold', 'MaxTrailingLogs', 'MinQuorum', 'ServerStabilizationTime',
  'RedundancyZoneTag', 'DisableUpgradeMigration', 'UpgradeVersionTag', 'CreateIndex', 'ModifyIndex',
];

function operatorOf(scope: RequestScope): OperatorService {
  const o = scope.deps.operator;
  if (!o) throw new SextantError(ErrorCode.NotImplemented, 'the operator endpoints are not available on this agent');
  return o;
}

/** GET /v1/operator/autopilot/configuration — Consul's api.AutopilotConfiguration. */
export const getAutopilotConfiguration: Handler = async (scope) => {
  sendJson(scope, await operatorOf(scope).autopilotGetConfiguration(requestContext(scope)));
};

/**
 * PUT /v1/operator/autopilot/configuration[?cas=<ModifyIndex>] — stores the body's settings;
 * answers `true`, or with `cas` whether the check-and-set stored them.
 */
export const putAutopilotConfiguration: Handler = async (scope) => {
  const casRaw = scope.query.has('cas') ? (scope.query.get('cas') ?? '') : undefined;
  let cas: number | undefined;
  if (casRaw !== undefined) {
    if (!/^\d+$/.test(casRaw) || !Number.isSafeInteger(Number(casRaw))) {
      throw new SextantError(ErrorCode.BadRequest, `Error parsing cas value: strconv.ParseUint: parsing ${JSON.stringify(casRaw)}: invalid syntax`);
    }
    cas = Number(casRaw);
  }
  const body = await readBody(scope.ctx.req, MAX_BODY, tooLarge);
  let settings: AutopilotSettings;
  try {
    settings = autopilotSettingsOf(decodeJsonBody(body, FIELDS));
  } catch (e) {
    const why = e instanceof SextantError ? e.message.replace(/^Request decode failed: /, '') : String(e);
    throw new SextantError(ErrorCode.BadRequest, `Error parsing autopilot config: ${why}`);
  }
  const stored = await operatorOf(scope).autopilotSetConfiguration(settings, cas, writeContext(scope));
  sendJson(scope, cas === undefined ? true : stored);
};

/** GET /v1/operator/autopilot/health — Consul's OperatorHealthReply; 429 when not every server is healthy. */
export const getAutopilotHealth: Handler = async (scope) => {
  const reply = await operatorOf(scope).autopilotServerHealth(requestContext(scope));
  sendJson(scope, reply, reply.Healthy ? 200 : 429);
};

/** GET /v1/operator/autopilot/state — Consul's api.AutopilotState. */
export const getAutopilotState: Handler = async (scope) => {
  sendJson(scope, await operatorOf(scope).autopilotState(requestContext(scope)));
};

/**
 * The settings of a PUT body decoded as Go's encoding/json decodes api.AutopilotConfiguration:
 * absent fields are zero, durations are Go duration strings or numbers of nanoseconds
 * (ReadableDuration), the counts unsigned integers.
 */
export function autopilotSettingsOf(v: unknown): AutopilotSettings {
  if (v === undefined || v === null) v = {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error('json: cannot unmarshal into Go value of type api.AutopilotConfiguration');
  const r = v as Record<string, unknown>;
  const cleanup = r.CleanupDeadServers ?? false;
  if (typeof cleanup !== 'boolean') throw new Error(typeError('CleanupDeadServers', cleanup, 'bool'));
  return {
    cleanupDeadServers: cleanup,
    lastContactThresholdMs: durationOf('LastContactThreshold', r.LastContactThreshold),
    maxTrailingLogs: uintOf('MaxTrailingLogs', r.MaxTrailingLogs, 'uint64'),
    minQuorum: uintOf('MinQuorum', r.MinQuorum, 'uint'),
    serverStabilizationTimeMs: durationOf('ServerStabilizationTime', r.ServerStabilizationTime),
  };
}

function typeError(field: string, value: unknown, goType: string): string {
  const what = typeof value === 'string' ? 'string' : typeof value === 'number' ? `number ${String(value)}` : typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : 'object';
  return `json: cannot unmarshal ${what} into Go struct field AutopilotConfiguration.${field} of type ${goType}`;
}

function uintOf(field: string, v: unknown, goType: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(typeError(field, v, goType));
  return v;
}

function durationOf(field: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  let ns: number;
  if (typeof v === 'string') {
    try {
      ns = Number(parseGoDuration(v));
    } catch (e) {
      throw new Error((e as Error).message);
    }
  } else if (typeof v === 'number' && Number.isFinite(v)) {
    ns = Math.trunc(v);
  } else {
    throw new Error(typeError(field, v, 'api.ReadableDuration'));
  }
  if (ns < 0) throw new Error(`${field} must not be negative`);
  return ns / 1_000_000;
}
