import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { CatalogNode, CatalogService, CatalogServiceNode, DeregisterRequest, RegisterRequest } from '../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { CatalogApi, CatalogFilter } from '../../contracts/services/catalog-service.js';
import type { Command } from '../state/command.js';
import { encodeCommand } from '../state/command-codec.js';
import type { CatalogWriteResult } from '../state/catalog-command.js';
import type { CatalogTableName } from '../state/catalog-reader.js';
import { catalogRead, type CatalogEndpointDeps } from './catalog-read.js';
import { deregisterCommand, registerCommand } from './catalog-register-request.js';
import { filterOf, hasAllTags, hasNodeMeta, matchesNodeMeta, serviceNodeView, serviceView } from './catalog-views.js';
import { sortNear } from './near-sort.js';

export type { CatalogEndpointConfig, CatalogEndpointDeps } from './catalog-read.js';

/**
 * The kernel's CatalogApi (Consul's Catalog RPC endpoint): writes validated and normalized
 * (catalog-register-request.ts), committed through Raft as catalog commands; reads served from
 * the local state machine in the requested consistency, blocking on exactly what they read
 * (a table, one service's instances, one node). Filters (`?node-meta`, `?tag`, `?filter`)
 * never change the index a read reports. `?near` sorts node lists by estimated RTT (near-sort.ts).
 */
export class CatalogEndpoint implements CatalogApi {
  constructor(private readonly deps: CatalogEndpointDeps) {}

  /** Registers a node (+ service, + checks) atomically; BAD_REQUEST for invalid input or a check naming a service the node does not have. */
  async register(req: RegisterRequest): Promise<void> {
    await this.write(registerCommand(req, this.deps.config.datacenter));
  }

  /** Removes a check, a service with its checks, or a node with everything on it. Absent targets: success. */
  async deregister(req: DeregisterRequest): Promise<void> {
    await this.write(deregisterCommand(req, this.deps.config.datacenter));
  }

  /** This agent's datacenter (the only one known until WAN federation exists). Needs no leader. */
  async datacenters(): Promise<string[]> {
    return [this.deps.config.datacenter];
  }

  /** All nodes by name, after `?node-meta` and `?filter`. Index and watch: the nodes table. */
  async nodes(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<CatalogNode[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.nodes();
        const out = value.filter((n) => matchesNodeMeta(n.Meta, f.nodeMeta) && (!filter || filter(n)));
        return { value: sortNear(this.deps, opts, out, (n) => n.Node), index };
      },
      watch: (wake) => cat.watchTables(['nodes'], wake),
    });
  }

  /**
   * Service name → its tags (union over instances, de-duplicated and sorted ascending; Consul's
   * order is unspecified). `?node-meta` and `?filter` (over the flattened ServiceNode) select the
   * instances that count. Index: the services table (with a node filter, max of nodes and services).
   */
  async services(f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<Record<string, string[]>>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    const tables: CatalogTableName[] = hasNodeMeta(f) || filter ? ['nodes', 'services'] : ['services'];
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value } = cat.allInstances();
        const tags = new Map<string, Set<string>>();
        for (const inst of value) {
          if (!matchesNodeMeta(inst.node.Meta, f.nodeMeta)) continue;
          if (filter && !filter(serviceNodeView(inst.node, inst.service))) continue;
          let set = tags.get(inst.service.Service);
          if (!set) {
            set = new Set();
            tags.set(inst.service.Service, set);
          }
          for (const t of inst.service.Tags) set.add(t);
        }
        const out: Record<string, string[]> = {};
        for (const name of [...tags.keys()].sort()) out[name] = [...tags.get(name)!].sort();
        return { value: out, index: cat.tableIndex(...tables) };
      },
      watch: (wake) => cat.watchTables(tables, wake),
    });
  }

  /** Instances of `service` flattened (by node name), with every tag in `tags`; index and watch: the service's own. */
  async serviceNodes(service: string, tags: string[], f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<CatalogServiceNode[]>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.serviceInstances(service);
        const out: CatalogServiceNode[] = [];
        for (const inst of value) {
          if (!hasAllTags(inst.service.Tags, tags) || !matchesNodeMeta(inst.node.Meta, f.nodeMeta)) continue;
          const view = serviceNodeView(inst.node, inst.service);
          if (!filter || filter(view)) out.push(view);
        }
        return { value: sortNear(this.deps, opts, out, (s) => s.Node), index };
      },
      watch: (wake) => cat.watchService(service, wake),
    });
  }

  /** A node and its services (by ID, `?filter` over the services), or null; watch: that node. */
  async nodeServices(node: string, f: CatalogFilter, opts: QueryOptions): Promise<QueryResult<{ Node: CatalogNode; Services: CatalogService[] } | null>> {
    const cat = this.deps.store.catalog;
    const filter = filterOf(f);
    return catalogRead(this.deps, opts, {
      run: () => {
        const { value, index } = cat.node(node);
        if (!value) return { value: null, index };
        const services = value.services.map(serviceView).filter((s) => !filter || filter(s));
        return { value: { Node: value.node, Services: services }, index };
      },
      watch: (wake) => cat.watchNode(node, wake),
    });
  }

  /** Proposes `cmd` stamped with this (the leader's) clock: the lock-delay start of any session the write invalidates. */
  private async write(cmd: Command): Promise<void> {
    const stamped = cmd.type === 'catalog.register' || cmd.type === 'catalog.deregister' ? { ...cmd, now: this.deps.clock.now() } : cmd;
    const result = (await this.deps.raft.propose(encodeCommand(stamped))) as CatalogWriteResult | undefined;
    if (result === undefined || typeof result !== 'object' || typeof result.ok !== 'boolean') {
      throw new SextantError(ErrorCode.Internal, 'catalog command answered an unexpected result');
    }
    if (!result.ok) throw new SextantError(ErrorCode.BadRequest, result.error);
  }
}
