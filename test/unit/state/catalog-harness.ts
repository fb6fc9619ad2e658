import type { CatalogCheckFields, CatalogRegisterCommand, CatalogServiceFields, CatalogWriteResult } from '../../../src/state/catalog-command.js';
import type { Command } from '../../../src/state/command.js';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore, type StateStoreOptions } from '../../../src/state/state-store.js';

/** A StateStore fed catalog commands at consecutive Raft indexes (no Raft). */
export class CatalogHarness {
  readonly store: StateStore;
  private next = 1;
  readonly changes: (readonly string[])[] = [];

  constructor(opts: StateStoreOptions = {}) {
    this.store = new StateStore({ ...opts, onCatalogChange: (s) => this.changes.push(s) });
  }

  apply(cmd: Command): CatalogWriteResult {
    return this.store.apply({ index: this.next++, term: 1, data: encodeCommand(cmd) }) as CatalogWriteResult;
  }

  get lastIndex(): number {
    return this.next - 1;
  }

  register(node: string, opts: { address?: string; meta?: Record<string, string>; id?: string; service?: Partial<CatalogServiceFields> & { Service: string }; checks?: Partial<CatalogCheckFields>[]; skipNodeUpdate?: boolean } = {}): CatalogWriteResult {
    return this.apply(registerCmd(node, opts));
  }

  deregister(node: string, what: { serviceId?: string; checkId?: string } = {}): CatalogWriteResult {
    return this.apply({ type: 'catalog.deregister', node, serviceId: what.serviceId ?? '', checkId: what.checkId ?? '' });
  }
}

export function registerCmd(
  node: string,
  opts: { address?: string; meta?: Record<string, string>; id?: string; service?: Partial<CatalogServiceFields> & { Service: string }; checks?: Partial<CatalogCheckFields>[]; skipNodeUpdate?: boolean } = {},
): CatalogRegisterCommand {
  const svc = opts.service;
  return {
    type: 'catalog.register',
    node: { ID: opts.id ?? '', Node: node, Address: opts.address ?? '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: {}, Meta: opts.meta ?? {} },
    skipNodeUpdate: opts.skipNodeUpdate ?? false,
    service: svc
      ? { ID: svc.ID ?? svc.Service, Service: svc.Service, Tags: svc.Tags ?? [], Address: svc.Address ?? '', Port: svc.Port ?? 0, Meta: svc.Meta ?? {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false }
      : null,
    checks: (opts.checks ?? []).map((c) => ({
      CheckID: c.CheckID ?? c.Name ?? 'check',
      Name: c.Name ?? c.CheckID ?? 'check',
      Status: c.Status ?? 'critical',
      Notes: c.Notes ?? '',
      Output: c.Output ?? '',
      ServiceID: c.ServiceID ?? '',
      Type: c.Type ?? '',
      ...(c.Definition ? { Definition: c.Definition } : {}),
    })),
  };
}
