import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { QueryOptions } from '../../contracts/model/query.js';
import type { RpcArgs, RpcKind, RpcName, RpcReply } from './rpc-schema.js';

/** A server-side method: its routing kind and the endpoint code that answers it. */
export interface RpcMethod<N extends RpcName = RpcName> {
  readonly name: N;
  readonly kind: RpcKind;
  /** Runs the method on this server. `ctx` is the request's context (a read's QueryOptions). */
  readonly handler: (args: RpcArgs<N>, ctx: QueryOptions) => Promise<RpcReply<N>>;
}

/**
 * The server's RPC method table: every endpoint method registered once under its Consul name.
 * In-process calls and calls arriving over the transport are both looked up here, after the
 * forward step decided that this server answers.
 */
export class MethodTable {
  private readonly methods = new Map<string, RpcMethod>();

  /** Registers `name`; throws INTERNAL when it is already registered. */
  register<N extends RpcName>(name: N, kind: RpcKind, handler: (args: RpcArgs<N>, ctx: QueryOptions) => Promise<RpcReply<N>>): void {
    if (this.methods.has(name)) throw new SextantError(ErrorCode.Internal, `RPC method ${name} is registered twice`);
    this.methods.set(name, { name, kind, handler } as unknown as RpcMethod);
  }

  /** The method `name`, or undefined. */
  get<N extends RpcName>(name: N): RpcMethod<N> | undefined {
    return this.methods.get(name) as RpcMethod<N> | undefined;
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...this.methods.keys()].sort();
  }
}

/** Consul's answer to a method the server does not know. */
export function unknownMethod(name: string): SextantError {
  return new SextantError(ErrorCode.BadRequest, `rpc: can't find method ${name}`);
}
