/**
 * The plugin SDK: the one public module a Sextant plugin imports besides contracts/, published as
 * the package export `sextant/plugin-sdk` (`import { definePlugin } from 'sextant/plugin-sdk'`).
 *
 * What the kernel's own plugins need from it lives here, so a third-party plugin can do exactly
 * what a first-party one does:
 * - the contracts (ports, model types, hook types, PluginManifest / definePlugin, KernelServices,
 *   SextantError and ErrorCode);
 * - Go-compatible texts and values: durations (parseGoDuration, formatGoDuration, durationMs,
 *   isGoDuration), goQuote (strconv.Quote), Go's net error texts, lossless JSON parsing;
 * - agent helpers: listenHosts, host:port parsing and formatting (IPv6 brackets), aggregated check status, isPlainObject, compileFilter (Consul's
 *   `?filter=` expressions), ClosedGuard for stores, coordinatesDisabled (`disable_coordinates`);
 * - check-runner base pieces: the shared check fields (timeout, output_max_size), command fields,
 *   exit-code status, ProbeDeadline, the script-check policy, TailBuffer, Go's start-error text.
 *
 * Everything else under src/ is private to the kernel and may change without notice.
 */

export * from '../../contracts/index.js';

export { ClosedGuard } from '../platform/closed-guard.js';
export { parseGoDuration, formatGoDuration, durationMs, isGoDuration } from '../config/go-duration.js';
export { listenHosts, type ListenerName } from '../config/listen-hosts.js';
export { normalizeLogLevel } from '../config/log-level.js';
export { parseJsonLossless } from '../cli/lossless-json.js';
export { goQuote } from '../state/go-quote.js';
export { aggregatedStatus, aggregatedHttpStatus } from '../agent/aggregated-status.js';
export { isPlainObject } from '../agent/definition-keys.js';
export { compileFilter, applyFilter, type FilterPredicate } from '../filter/compile-filter.js';

export { goCertificateErrorText } from './go-tls-error.js';
export { goDialErrorText, goDialTimeoutText, goErrnoText, goLookupErrorText, joinHostPort } from './go-net-error.js';
export {
  DEFAULT_OUTPUT_MAX_SIZE,
  durationFieldNs,
  goDurationText,
  nsToMs,
  outputMaxSize,
  validateDurationField,
  validateOutputMaxSize,
} from './checks/check-fields.js';
export { commandOf, hasCommand, validateCommandFields } from './checks/command-fields.js';
export { statusForExitCode } from './checks/exit-status.js';
export { goStartErrorText } from './checks/go-start-error.js';
export { ProbeDeadline } from './checks/probe-deadline.js';
export { SCRIPTS_DISABLED_LOCAL, SCRIPTS_DISABLED_REMOTE, scriptPolicyError, type ScriptCheckPolicy } from './checks/script-policy.js';
export { TailBuffer } from './checks/tail-buffer.js';
export { formatHostPort, parseHostPort, type HostPort } from './host-port.js';
export { jsonDepthProblem, jsonTooDeepAt } from './json-depth.js';
export { parsePort, splitHostPort } from './checks/host-port.js';
export { coordinatesDisabled } from '../agent/coordinates-disabled.js';
