import type { QueryOptions, QueryResult, RequestContext } from '../../../contracts/model/query.js';
import type { Session, SessionCreateRequest } from '../../../contracts/model/session.js';
import type { SessionApi } from '../../../contracts/services/session-service.js';
import type { RpcCaller } from './rpc-caller.js';

/** SessionApi as the surfaces see it on every agent: the Session RPCs. */
export class SessionRpcClient implements SessionApi {
  constructor(
    private readonly rpc: RpcCaller,
    /** This agent's node name: the default Node of a session created through it (Consul's agent fills it in). */
    private readonly nodeName: () => string,
  ) {}

  /** Session.Apply (create); the session's Node defaults to this agent's node. */
  async create(req: SessionCreateRequest, ctx?: RequestContext): Promise<string> {
    const withNode = req.Node === undefined || req.Node === '' ? { ...req, Node: this.nodeName() } : req;
    return (await this.rpc.call('Session.Apply', { op: 'create', req: withNode }, ctx)) as string;
  }

  /** Session.Apply (destroy). */
  async destroy(id: string, ctx?: RequestContext): Promise<boolean> {
    return (await this.rpc.call('Session.Apply', { op: 'destroy', id }, ctx)) as boolean;
  }

  /** Session.Renew. */
  renew(id: string, ctx?: RequestContext): Promise<Session | null> {
    return this.rpc.call('Session.Renew', { id }, ctx);
  }

  /** Session.Get. */
  info(id: string, opts: QueryOptions): Promise<QueryResult<Session[]>> {
    return this.rpc.call('Session.Get', { id }, opts);
  }

  /** Session.NodeSessions. */
  node(node: string, opts: QueryOptions): Promise<QueryResult<Session[]>> {
    return this.rpc.call('Session.NodeSessions', { node }, opts);
  }

  /** Session.List. */
  list(opts: QueryOptions): Promise<QueryResult<Session[]>> {
    return this.rpc.call('Session.List', {}, opts);
  }
}
