/**
 * The one catalogue of error codes. Every error Sextant raises on purpose is a SextantError
 * with one of these codes; each surface maps codes to its status (HTTP status, DNS RCODE, CLI
 * exit code) in one place. Codes are stable: add new ones, never rename or reuse.
 */
export const ErrorCode = {
  // Configuration and plugins
  ConfigInvalid: 'CONFIG_INVALID',
  ConfigParse: 'CONFIG_PARSE',
  ConfigUnsupportedFormat: 'CONFIG_UNSUPPORTED_FORMAT',
  DurationInvalid: 'DURATION_INVALID',
  FlagInvalid: 'FLAG_INVALID',
  PluginNotFound: 'PLUGIN_NOT_FOUND',
  PluginManifestInvalid: 'PLUGIN_MANIFEST_INVALID',
  PluginKernelMismatch: 'PLUGIN_KERNEL_MISMATCH',
  PluginDependencyMissing: 'PLUGIN_DEPENDENCY_MISSING',
  PluginDependencyCycle: 'PLUGIN_DEPENDENCY_CYCLE',
  PluginConfigInvalid: 'PLUGIN_CONFIG_INVALID',
  PluginRegisterFailed: 'PLUGIN_REGISTER_FAILED',
  AdapterMissing: 'ADAPTER_MISSING',
  AdapterAmbiguous: 'ADAPTER_AMBIGUOUS',
  AdapterDuplicate: 'ADAPTER_DUPLICATE',
  // Request validation (HTTP 400)
  BadRequest: 'BAD_REQUEST',
  MissingKey: 'MISSING_KEY',
  ConflictingFlags: 'CONFLICTING_FLAGS',
  InvalidIndex: 'INVALID_INDEX',
  InvalidWait: 'INVALID_WAIT',
  ConflictingConsistency: 'CONFLICTING_CONSISTENCY',
  // Not found / methods / sizes
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  TooLarge: 'TOO_LARGE',
  /** A feature the request needs is not implemented yet (e.g. KV ?acquire before sessions exist). */
  NotImplemented: 'NOT_IMPLEMENTED',
  // Sessions and locks (HTTP 500, as Consul answers these RPC errors)
  /** A KV lock/unlock named no session (`missing session`) or one that does not exist (`invalid session "<id>"`). */
  InvalidSession: 'INVALID_SESSION',
  /** A session create Consul refuses: bad Behavior or TTL, unknown node or check, critical check, malformed ID. */
  SessionRejected: 'SESSION_REJECTED',
  /** A lock or semaphore key that does not match its use (wrong Flags, another semaphore limit) — `sextant lock`. */
  LockConflict: 'LOCK_CONFLICT',
  /** Acquiring a lock or semaphore this client already holds. */
  LockHeld: 'LOCK_HELD',
  /** Cleaning up a lock or semaphore that another holder still uses. */
  LockInUse: 'LOCK_IN_USE',
  /** Releasing a lock or semaphore this client does not hold. */
  LockNotHeld: 'LOCK_NOT_HELD',
  /** A user event Consul refuses (HTTP 500, as Consul's EventFire): a tag filter without a service filter, a filter that does not compile, too large. */
  EventRejected: 'EVENT_REJECTED',
  /** A coordinate update Consul refuses (HTTP 500, as Consul's Coordinate.Update): `invalid coordinate` (NaN or infinite), `incompatible coordinate` (dimensionality). */
  CoordinateRejected: 'COORDINATE_REJECTED',
  // Cluster and storage (HTTP 500)
  NoLeader: 'NO_LEADER',
  NotLeader: 'NOT_LEADER',
  NoPathToDatacenter: 'NO_PATH_TO_DATACENTER',
  /** A client agent knows no server to send a request to (Consul's `No known Consul servers`). */
  NoServers: 'NO_SERVERS',
  /** No address of a gossip join could be contacted (Consul's `Failed to join ...`). */
  JoinFailed: 'JOIN_FAILED',
  LeadershipLost: 'LEADERSHIP_LOST',
  /** Raft bootstrap refused: this server already has Raft state (hashicorp/raft's ErrCantBootstrap). */
  CantBootstrap: 'CANT_BOOTSTRAP',
  Shutdown: 'SHUTDOWN',
  Timeout: 'TIMEOUT',
  StorageFailed: 'STORAGE_FAILED',
  StorageCorrupt: 'STORAGE_CORRUPT',
  TransportFailed: 'TRANSPORT_FAILED',
  /** A surface could not bind one of its listen addresses. */
  ListenFailed: 'LISTEN_FAILED',
  CommandInvalid: 'COMMAND_INVALID',
  Internal: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A deliberate, coded error. `message` is the plain-text body a client sees. */
export class SextantError extends Error {
  override readonly name = 'SextantError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `e` is a SextantError, optionally with the given code. */
export function isSextantError(e: unknown, code?: ErrorCode): e is SextantError {
  return e instanceof SextantError && (code === undefined || e.code === code);
}
