import type { CatalogNode, CatalogService, DeregisterRequest, RegisterRequest } from '../../../contracts/model/catalog.js';
import type { HealthCheck } from '../../../contracts/model/health.js';
import type { QueryResult } from '../../../contracts/model/query.js';
import type { CheckDefinition, CheckOrigin, CheckResult, CheckRunner, PassiveCheckRunner } from '../../../contracts/ports/check-runner.js';
import type { CatalogApi, HealthApi } from '../../../contracts/services/catalog-service.js';
import { durationMs } from '../../../src/config/go-duration.js';

/** A probing runner for one field (`http`, `tcp`, …) whose probes the test resolves by hand. */
export class FakeRunner implements CheckRunner {
  /** Probes in flight, oldest first. */
  readonly pending: { def: CheckDefinition; signal: AbortSignal; resolve: (r: CheckResult) => void }[] = [];
  probes = 0;
  maxConcurrent = 0;
  private inflight = 0;
  /** When set, probes resolve at once with this result. */
  auto: CheckResult | undefined;

  constructor(
    readonly kind: string,
    private readonly field = kind,
    private readonly validator: (def: CheckDefinition, origin: CheckOrigin) => string | undefined = () => undefined,
  ) {}

  accepts(def: CheckDefinition): boolean {
    return def[this.field] !== undefined;
  }
  validate(def: CheckDefinition, origin: CheckOrigin): string | undefined {
    return this.validator(def, origin);
  }
  probe(def: CheckDefinition, signal: AbortSignal): Promise<CheckResult> {
    this.probes++;
    this.inflight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inflight);
    return new Promise<CheckResult>((resolve) => {
      const done = (r: CheckResult): void => {
        const i = this.pending.findIndex((p) => p.resolve === done);
        if (i >= 0) this.pending.splice(i, 1);
        this.inflight--;
        resolve(r);
      };
      if (this.auto) return done(this.auto);
      this.pending.push({ def, signal, resolve: done });
      signal.addEventListener('abort', () => done({ status: 'critical', output: `aborted: ${(signal.reason as Error).message}` }), { once: true });
    });
  }
  /** Resolves the oldest probe in flight. */
  finish(r: CheckResult): void {
    const p = this.pending[0];
    if (!p) throw new Error(`no ${this.kind} probe in flight`);
    p.resolve(r);
  }
  async close(): Promise<void> {}
}

/** A passive TTL runner implementing the contract's PassiveCheckRunner. */
export class FakeTtlRunner implements PassiveCheckRunner {
  readonly kind = 'ttl';
  readonly passive = true as const;
  accepts(def: CheckDefinition): boolean {
    return def['ttl'] !== undefined;
  }
  validate(def: CheckDefinition): string | undefined {
    return durationMs(String(def['ttl'])) > 0 ? undefined : 'ttl: TTL must be > 0 for TTL checks';
  }
  ttlMs(def: CheckDefinition): number {
    return durationMs(String(def['ttl']));
  }
  capOutput(def: CheckDefinition, output: string): string {
    const max = typeof def['output_max_size'] === 'number' && def['output_max_size'] > 0 ? def['output_max_size'] : 4096;
    const b = Buffer.from(output);
    return b.length <= max ? output : `${b.subarray(0, max).toString()} ... (captured ${max} of ${b.length} bytes)`;
  }
  expiredOutput(last: string): string {
    return last === '' ? 'TTL expired' : `TTL expired (last output before timeout follows): ${last}`;
  }
  probe(): Promise<CheckResult> {
    return Promise.resolve({ status: 'critical', output: 'TTL expired' });
  }
  async close(): Promise<void> {}
}

/** The runners most tests use: http, tcp, script (API needs enable flag), docker, ttl. */
export function fakeRunners(opts: { scriptsFromApi?: boolean } = {}): { map: Map<string, CheckRunner>; http: FakeRunner; tcp: FakeRunner; script: FakeRunner; docker: FakeRunner; ttl: FakeTtlRunner } {
  const http = new FakeRunner('http');
  const tcp = new FakeRunner('tcp');
  const script = new FakeRunner('script', 'args', (_d, origin) =>
    origin === 'api' && !opts.scriptsFromApi ? "Scripts are disabled on this agent from remote calls; to enable, configure 'enable_script_checks' to true" : undefined,
  );
  const docker = new FakeRunner('docker', 'docker_container_id');
  const ttl = new FakeTtlRunner();
  const map = new Map<string, CheckRunner>([
    ['script', script],
    ['http', http],
    ['tcp', tcp],
    ['docker', docker],
    ['ttl', ttl],
  ]);
  return { map, http, tcp, script, docker, ttl };
}

type Op = { op: 'register'; req: RegisterRequest } | { op: 'deregister'; req: DeregisterRequest };

/**
 * An in-memory catalog for one datacenter that records every write. Like the real one, a
 * register creates/updates the node, a service and its checks; deregister removes a check,
 * a service (with its checks) or the node.
 */
export class FakeCatalog implements Pick<CatalogApi, 'register' | 'deregister' | 'nodeServices'>, Pick<HealthApi, 'nodeChecks'> {
  readonly ops: Op[] = [];
  readonly nodes = new Map<string, CatalogNode>();
  readonly services = new Map<string, Map<string, CatalogService>>();
  readonly checks = new Map<string, Map<string, HealthCheck>>();
  /** When set, every write rejects with it. */
  failWith: Error | undefined;
  reads = 0;

  async register(req: RegisterRequest): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.ops.push({ op: 'register', req: structuredClone(req) });
    const prev = this.nodes.get(req.Node);
    if (!prev || !req.SkipNodeUpdate) {
      this.nodes.set(req.Node, {
        ID: req.ID ?? prev?.ID ?? '',
        Node: req.Node,
        Address: req.Address,
        Datacenter: req.Datacenter ?? 'dc1',
        TaggedAddresses: req.TaggedAddresses ?? prev?.TaggedAddresses ?? {},
        Meta: req.NodeMeta ?? prev?.Meta ?? {},
        CreateIndex: 1,
        ModifyIndex: 1,
      });
    }
    const svcs = this.services.get(req.Node) ?? new Map();
    this.services.set(req.Node, svcs);
    if (req.Service) svcs.set(req.Service.ID, { ...structuredClone(req.Service), CreateIndex: 1, ModifyIndex: 1 });
    const chks = this.checks.get(req.Node) ?? new Map();
    this.checks.set(req.Node, chks);
    for (const c of [...(req.Check ? [req.Check] : []), ...(req.Checks ?? [])]) chks.set(c.CheckID, { ...structuredClone(c), Node: req.Node, CreateIndex: 1, ModifyIndex: 1 });
  }

  async deregister(req: DeregisterRequest): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.ops.push({ op: 'deregister', req: structuredClone(req) });
    const chks = this.checks.get(req.Node);
    if (req.CheckID) chks?.delete(req.CheckID);
    else if (req.ServiceID) {
      this.services.get(req.Node)?.delete(req.ServiceID);
      for (const [id, c] of [...(chks ?? [])]) if (c.ServiceID === req.ServiceID) chks?.delete(id);
    } else {
      this.nodes.delete(req.Node);
      this.services.delete(req.Node);
      this.checks.delete(req.Node);
    }
  }

  private meta() {
    return { index: 1, knownLeader: true, lastContactMs: 0 };
  }

  async nodeServices(node: string): Promise<QueryResult<{ Node: CatalogNode; Services: CatalogService[] } | null>> {
    this.reads++;
    const n = this.nodes.get(node);
    if (!n) return { value: null, meta: this.meta() };
    return { value: { Node: structuredClone(n), Services: [...(this.services.get(node)?.values() ?? [])].map((s) => structuredClone(s)) }, meta: this.meta() };
  }

  async nodeChecks(node: string): Promise<QueryResult<HealthCheck[]>> {
    return { value: [...(this.checks.get(node)?.values() ?? [])].map((c) => structuredClone(c)), meta: this.meta() };
  }

  /** Writes recorded since the last call. */
  take(): Op[] {
    return this.ops.splice(0, this.ops.length);
  }
}

/** Lets promise callbacks (microtasks and a macrotask) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
