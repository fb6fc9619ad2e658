import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../../contracts/model/health.js';
import type { QueryOptions, QueryResult } from '../../../contracts/model/query.js';
import type { CheckResult, ReactiveCheckContext } from '../../../contracts/ports/check-runner.js';
import type { CatalogApi, HealthApi } from '../../../contracts/services/catalog-service.js';
import type { AgentCheckView, LocalAgentApi, LocalAgentChanges } from '../../../contracts/services/local-agent-service.js';
import { AliasCheckRunner } from '../../../plugins/check-alias/alias-check-runner.js';
import { aliasedHealth } from '../../../plugins/check-alias/aliased-health.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

const check = (f: Partial<HealthCheck>): HealthCheck => ({
  Node: 'n1', CheckID: 'c', Name: 'c', Status: 'passing', Notes: '', Output: '', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '', CreateIndex: 1, ModifyIndex: 1, ...f,
});

/** A local agent whose checks the test sets; onChange listeners fire on `set`. */
class FakeLocal {
  checksById: Record<string, AgentCheckView> = {};
  services = new Set<string>();
  listeners = new Set<() => void>();
  reads = 0;
  api(): LocalAgentApi & LocalAgentChanges {
    return {
      checks: () => {
        this.reads++;
        return this.checksById;
      },
      service: (id: string) => (this.services.has(id) ? ({ ID: id } as never) : undefined),
      onChange: (l: () => void) => {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
      },
    } as unknown as LocalAgentApi & LocalAgentChanges;
  }
  set(c: HealthCheck): void {
    this.checksById[c.CheckID] = c;
    for (const l of this.listeners) l();
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function context(local: LocalAgentApi & LocalAgentChanges): { ctx: ReactiveCheckContext; results: CheckResult[]; ac: AbortController } {
  const results: CheckResult[] = [];
  const ac = new AbortController();
  return { ctx: { local, report: (r) => results.push(r), signal: ac.signal }, results, ac };
}

describe('aliasedHealth (Consul processChecks)', () => {
  it('critical beats warning beats passing; node checks count; other services do not', () => {
    const t = { node: '', serviceId: 'web' };
    expect(aliasedHealth(t, [], () => true)).toEqual({ status: 'passing', output: 'No checks found.' });
    expect(aliasedHealth(t, [check({ ServiceID: 'web' })], () => true)).toEqual({ status: 'passing', output: 'All checks passing.' });
    expect(aliasedHealth(t, [check({ ServiceID: 'db', Status: 'critical' }), check({ ServiceID: 'web' })], () => true).status).toBe('passing');
    expect(aliasedHealth(t, [check({ ServiceID: 'web', Name: 'w', Status: 'warning', Output: 'slow' }), check({ Name: 'disk', Status: 'critical', Output: 'full' })], () => true))
      .toEqual({ status: 'critical', output: 'Aliased check "disk" failing: full' });
    expect(aliasedHealth(t, [check({ ServiceID: 'web', Name: 'w', Status: 'warning', Output: 'slow' }), check({ ServiceID: 'web' })], () => true))
      .toEqual({ status: 'warning', output: 'Aliased check "w" failing: slow' });
  });

  it('a service with no checks that does not exist is critical; a remote node filters by node name, case-insensitively', () => {
    expect(aliasedHealth({ node: '', serviceId: 'web' }, [], () => false)).toEqual({ status: 'critical', output: 'Service web could not be found on node ' });
    const remote = { node: 'N1', serviceId: 'web' };
    expect(aliasedHealth(remote, [check({ Node: 'n2', Status: 'critical' }), check({ Node: 'n1', ServiceID: 'web' })], () => true).status).toBe('passing');
  });
});

describe('AliasCheckRunner', () => {
  it('needs no interval, and refuses a probing kind or a TTL beside the alias', () => {
    const r = new AliasCheckRunner({ clock: new ManualClock(), logger: new SilentLogger(), catalog: () => { throw new Error('unused'); } });
    expect(r.validate({ id: 'a', name: 'a', alias_service: 'web' }, 'api')).toBeUndefined();
    expect(r.validate({ id: 'a', name: 'a', alias_service: 'web', tcp: 'x:1' }, 'api')).toBe('Interval cannot be set for Alias checks');
    expect(r.validate({ id: 'a', name: 'a', alias_node: 'n', ttl: '10s' }, 'api')).toBe('TTL must be not be set for Alias checks');
  });

  it('local: reports at once, again on changes (coalesced), never counts itself, refreshes every minute, stops on abort', async () => {
    const clock = new ManualClock();
    const local = new FakeLocal();
    local.services.add('web');
    const r = new AliasCheckRunner({ clock, logger: new SilentLogger(), catalog: () => { throw new Error('unused'); } });
    const { ctx, results, ac } = context(local.api());
    r.watch({ id: 'me', name: 'me', alias_service: 'web' }, ctx);
    expect(results).toEqual([{ status: 'passing', output: 'No checks found.' }]);
    local.set(check({ CheckID: 'w1', ServiceID: 'web', Name: 'w1', Status: 'critical', Output: 'down' }));
    local.set(check({ CheckID: 'me', Name: 'me', Status: 'critical', Output: 'myself' })); // its own status: ignored
    await tick();
    expect(results.slice(1)).toEqual([{ status: 'critical', output: 'Aliased check "w1" failing: down' }]);
    const reads = local.reads;
    clock.advance(60_000);
    expect(local.reads).toBe(reads + 1);
    ac.abort();
    local.set(check({ CheckID: 'w1', ServiceID: 'web', Status: 'passing' }));
    clock.advance(120_000);
    await tick();
    expect(results).toHaveLength(3);
    expect(local.listeners.size).toBe(0);
  });

  it('remote: follows Health.NodeChecks with blocking queries; a second failure in a row is reported', async () => {
    const clock = new ManualClock();
    const queries: QueryOptions[] = [];
    const answers: (() => Promise<QueryResult<HealthCheck[]>>)[] = [
      async () => ({ value: [check({ Node: 'n1', ServiceID: 'web', Status: 'passing' })], meta: { index: 7 } } as unknown as QueryResult<HealthCheck[]>),
      async () => Promise.reject(new Error('No cluster leader')),
      async () => Promise.reject(new Error('No cluster leader')),
      () => new Promise(() => {}),
    ];
    const health = { nodeChecks: (_n: string, _f: unknown, o: QueryOptions) => (queries.push(o), answers.shift()!()) } as unknown as HealthApi;
    const catalog = {} as CatalogApi;
    const r = new AliasCheckRunner({ clock, logger: new SilentLogger(), catalog: () => ({ health, catalog }) });
    const { ctx, results, ac } = context(new FakeLocal().api());
    r.watch({ id: 'me', name: 'me', alias_node: 'n1', alias_service: 'web' }, ctx);
    for (let i = 0; i < 5; i++) await tick();
    expect(results).toEqual([
      { status: 'passing', output: 'All checks passing.' },
      { status: 'critical', output: 'Failure checking aliased node or service: No cluster leader' },
    ]);
    expect(queries.map((q) => [q.minIndex, q.consistency])).toEqual([[0, 'stale'], [7, 'stale'], [7, 'stale'], [7, 'stale']]);
    ac.abort();
  });
});
