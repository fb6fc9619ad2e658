import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { KvEntry } from '../../contracts/model/kv.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Clock, Random } from '../../contracts/platform.js';
import type { KvOp, KvService } from '../../contracts/services/kv-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { Command } from '../state/command.js';
import { encodeCommand } from '../state/command-codec.js';
import type { KvReader } from '../state/kv-reader.js';
import { canonicalUint64 } from '../state/uint64.js';
import { blockingQuery, type BlockingQuerySpec } from './blocking-query.js';
import { blockingWaitMs, type BlockingWaitConfig } from './blocking-wait.js';

export { blockingWaitMs, type BlockingWaitConfig } from './blocking-wait.js';

/** Limits a KvEndpoint enforces (from RuntimeConfig: limits.kvMaxValueSize, default/maxQueryTimeMs). */
export interface KvEndpointConfig extends BlockingWaitConfig {
  /** Largest value in bytes a write may carry (Consul limits.kv_max_value_size, 524288). */
  kvMaxValueSize: number;
}

/** Constructor dependencies of a KvEndpoint. */
export interface KvEndpointDeps {
  /** The local replicated state (a StateStore); only its KV read side is used. */
  store: { readonly kv: KvReader };
  /** Raft: read barriers, leader/contact meta, and proposals for writes. */
  raft: RaftApi;
  /** Times blocking queries out and stamps lock commands with this (the leader's) time, against which lock-delays are checked. */
  clock: Clock;
  /** Jitter of blockingWait(). */
  random: Random;
  config: KvEndpointConfig;
}

/**
 * The kernel's KvService: reads served from the local state machine in the requested
 * consistency, blocking on exactly the key or prefix read; writes validated, encoded as
 * commands and committed through Raft, answering Consul's boolean.
 */
export class KvEndpoint implements KvService {
  constructor(private readonly deps: KvEndpointDeps) {}

  /** The wait a surface should put in QueryOptions.waitMs for a `?wait` of `waitParamMs` (clamped, jittered). */
  blockingWait(waitParamMs: number | undefined): number {
    return blockingWaitMs(waitParamMs, this.deps.config, this.deps.random);
  }

  /** The entry at `key` or null; blocks on that key only. Index: ModifyIndex, else the table index. */
  get(key: string, opts: QueryOptions): Promise<QueryResult<KvEntry | null>> {
    const kv = this.deps.store.kv;
    return this.read(opts, { run: () => kv.get(key), watch: (wake) => kv.watchKey(key, wake) });
  }

  /** Entries under `prefix`, in key order; blocks on the prefix. */
  list(prefix: string, opts: QueryOptions): Promise<QueryResult<KvEntry[]>> {
    const kv = this.deps.store.kv;
    return this.read(opts, { run: () => kv.list(prefix), watch: (wake) => kv.watchPrefix(prefix, wake) });
  }

  /** Keys under `prefix`, cut after `separator` when non-empty; blocks on the prefix. */
  keys(prefix: string, separator: string, opts: QueryOptions): Promise<QueryResult<string[]>> {
    const kv = this.deps.store.kv;
    return this.read(opts, { run: () => kv.keys(prefix, separator), watch: (wake) => kv.watchPrefix(prefix, wake) });
  }

  /**
   * Validates `op` (MISSING_KEY for an empty key except delete-tree; TOO_LARGE for a value over
   * kvMaxValueSize; BAD_REQUEST for flags that are not a uint64; INVALID_INDEX for a bad cas
   * index; INVALID_SESSION `missing session` for a lock/unlock without one), proposes it to Raft
   * and resolves with the state machine's boolean. A lock naming a session that does not exist
   * rejects with INVALID_SESSION `invalid session "<id>"`. Raft rejections (NOT_LEADER,
   * NO_LEADER, LEADERSHIP_LOST, SHUTDOWN) pass through unchanged.
   */
  async apply(op: KvOp): Promise<boolean> {
    const bytes = encodeCommand(this.toCommand(op));
    const result = await this.deps.raft.propose(bytes);
    if (typeof result === 'object' && result !== null && typeof (result as { error?: unknown }).error === 'string') {
      throw new SextantError(ErrorCode.InvalidSession, (result as { error: string }).error);
    }
    if (typeof result !== 'boolean') throw new SextantError(ErrorCode.Internal, `KV command answered ${typeof result}, not a boolean`);
    return result;
  }

  private toCommand(op: KvOp): Command {
    if (op.verb !== 'delete-tree' && op.key === '') throw new SextantError(ErrorCode.MissingKey, 'Missing key name');
    switch (op.verb) {
      case 'set':
        return { type: 'kv.set', key: op.key, value: this.checkValue(op.value), flags: checkFlags(op.flags) };
      case 'cas':
        return { type: 'kv.cas', key: op.key, value: this.checkValue(op.value), flags: checkFlags(op.flags), index: checkIndex(op.index) };
      case 'delete':
        return { type: 'kv.delete', key: op.key };
      case 'delete-cas':
        return { type: 'kv.delete-cas', key: op.key, index: checkIndex(op.index) };
      case 'delete-tree':
        return { type: 'kv.delete-tree', prefix: op.prefix };
      case 'lock':
        if (op.session === '') throw new SextantError(ErrorCode.InvalidSession, 'missing session');
        return { type: 'kv.lock', key: op.key, value: this.checkValue(op.value), flags: checkFlags(op.flags), session: op.session, now: this.deps.clock.now() };
      case 'unlock':
        if (op.session === '') throw new SextantError(ErrorCode.InvalidSession, 'missing session');
        return { type: 'kv.unlock', key: op.key, value: this.checkValue(op.value), flags: checkFlags(op.flags), session: op.session };
      default:
        throw new SextantError(ErrorCode.BadRequest, `Unknown KV operation ${JSON.stringify((op as { verb: unknown }).verb)}`);
    }
  }

  private checkValue(value: Uint8Array): Uint8Array {
    const max = this.deps.config.kvMaxValueSize;
    if (value.byteLength > max) {
      throw new SextantError(
        ErrorCode.TooLarge,
        `Request body(${value.byteLength} bytes) too large, max size: ${max} bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.`,
      );
    }
    return value;
  }

  private read<T>(opts: QueryOptions, spec: BlockingQuerySpec<T>): Promise<QueryResult<T>> {
    const { config } = this.deps;
    // waitMs arrives clamped and jittered; guard against a surface that forgot.
    const ceiling = config.maxQueryTimeMs + config.maxQueryTimeMs / 16;
    const waitMs = opts.waitMs > 0 ? Math.min(opts.waitMs, ceiling) : config.defaultQueryTimeMs;
    return blockingQuery(this.deps, { ...opts, waitMs }, spec);
  }
}

function checkFlags(flags: string): string {
  const canonical = canonicalUint64(flags);
  if (canonical === undefined) throw new SextantError(ErrorCode.BadRequest, `Invalid flags ${JSON.stringify(flags)}: must be an unsigned 64-bit integer`);
  return canonical;
}

function checkIndex(index: number): number {
  if (!Number.isSafeInteger(index) || index < 0) throw new SextantError(ErrorCode.InvalidIndex, 'Invalid index');
  return index;
}
