import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiUrl, pathPart, request } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, PageHeader, StatusBadge, Tags } from '../components.js';
import type { HealthCheck, ServiceEntry } from '../model.js';
import { href } from '../router.js';
import { countStatuses, type StatusCounts, worstStatus } from '../status.js';

/** One row of the services list. */
export interface ServiceRow {
  name: string;
  tags: string[];
  /** Undefined until the checks have arrived. */
  counts: StatusCounts | undefined;
  /** Instances seen through their checks (node + service ID); undefined until the checks have arrived. */
  instances: number | undefined;
  status: 'passing' | 'warning' | 'critical' | undefined;
}

/**
 * The rows from /v1/catalog/services (names and tags) and /v1/health/state/any (every check):
 * a service's counts are its instances' checks plus their nodes' checks, as its page shows them.
 */
export function serviceRows(services: Record<string, string[]>, checks: readonly HealthCheck[] | undefined): ServiceRow[] {
  if (checks === undefined) {
    return Object.keys(services)
      .sort()
      .map((name) => ({ name, tags: services[name] ?? [], counts: undefined, instances: undefined, status: undefined }));
  }
  const nodeChecks = new Map<string, HealthCheck[]>();
  const byService = new Map<string, { checks: HealthCheck[]; instances: Set<string> }>();
  for (const c of checks) {
    if (c.ServiceID === '') {
      const list = nodeChecks.get(c.Node);
      if (list) list.push(c);
      else nodeChecks.set(c.Node, [c]);
      continue;
    }
    let s = byService.get(c.ServiceName);
    if (!s) byService.set(c.ServiceName, (s = { checks: [], instances: new Set() }));
    s.checks.push(c);
    s.instances.add(`${c.Node}\u0000${c.ServiceID}`);
  }
  const rows: ServiceRow[] = [];
  for (const name of Object.keys(services).sort()) {
    const s = byService.get(name);
    const all: HealthCheck[] = s ? [...s.checks] : [];
    const nodes = new Set<string>();
    for (const inst of s?.instances ?? []) nodes.add(inst.slice(0, inst.indexOf('\u0000')));
    for (const n of nodes) all.push(...(nodeChecks.get(n) ?? []));
    const counts: StatusCounts = { passing: 0, warning: 0, critical: 0 };
    for (const c of all) {
      if (c.Status === 'passing') counts.passing++;
      else if (c.Status === 'warning') counts.warning++;
      else counts.critical++;
    }
    rows.push({ name, tags: services[name] ?? [], counts, instances: s?.instances.size ?? 0, status: worstStatus(all) });
  }
  return rows;
}

type StatusFilter = 'all' | 'passing' | 'warning' | 'critical';

/** Rows rendered at first; more as the list is scrolled (or "Show more" is pressed), so a long list is usable at once. */
export const PAGE_ROWS = 50;

/** Every service with its health roll-up, tags and instance count; searchable and filterable by status. */
export function ServicesView({ dc }: { dc: string }) {
  const services = useFollowed<Record<string, string[]>>(apiUrl('catalog/services', dc));
  // The checks (a far bigger answer) are asked for once the names are in, so the list shows first.
  const checks = useFollowed<HealthCheck[]>(services.data === undefined ? undefined : apiUrl('health/state/any', dc));
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState<StatusFilter>('all');
  const [limit, setLimit] = useState(PAGE_ROWS);
  // The names and tags show as soon as /v1/catalog/services answers; the roll-ups fill in when the checks arrive.
  const rows = useMemo(
    () => (services.data === undefined ? undefined : serviceRows(services.data ?? {}, checks.data === undefined ? undefined : (checks.data ?? []))),
    [services.data, checks.data],
  );
  const q = query.trim().toLowerCase();
  const shown = useMemo(
    () =>
      rows?.filter(
        (r) => (status === 'all' || r.status === status) && (q === '' || r.name.toLowerCase().includes(q) || r.tags.some((t) => t.toLowerCase().includes(q))),
      ),
    [rows, status, q],
  );
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => setLimit(PAGE_ROWS), [status, q]);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver === 'undefined') return undefined;
    const io = new IntersectionObserver((seen) => {
      if (seen.some((e) => e.isIntersecting)) setLimit((n) => n + PAGE_ROWS);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [shown, limit]);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Services">
        <p class="muted" role="status">
          {shown && rows ? (shown.length === rows.length ? `${rows.length} services` : `${shown.length} of ${rows.length} services`) : ''}
        </p>
      </PageHeader>
      <ErrorBanner error={services.error ?? checks.error} />
      <div class="toolbar" role="search">
        <label>
          <span>Search</span>
          <input type="search" name="q" value={query} placeholder="Name or tag" onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          <span>Health</span>
          <select name="status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as StatusFilter)}>
            <option value="all">All</option>
            <option value="passing">Passing</option>
            <option value="warning">Warning</option>
            <option value="critical">Critical</option>
          </select>
        </label>
      </div>
      {shown === undefined ? (
        <Loading what="services" />
      ) : (
        <div class="table-wrap">
          <table class="list" id="services-list" data-loaded="true" data-count={shown.length} data-health={checks.data === undefined ? 'loading' : 'loaded'}>
            <caption class="visually-hidden">Services</caption>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Health</th>
                <th scope="col">Instances</th>
                <th scope="col">Tags</th>
              </tr>
            </thead>
            <tbody>
              {shown.slice(0, limit).map((r) => (
                <Row key={r.name} dc={dc} row={r} checksIndex={checks.index} />
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p class="muted">No services match.</p> : null}
          {shown.length > limit ? (
            <div ref={sentinel} class="more">
              <button type="button" onClick={() => setLimit((n) => n + PAGE_ROWS)}>
                Show more ({shown.length - limit} not shown)
              </button>
            </div>
          ) : null}
        </div>
      )}
    </section>
  );
}

/**
 * One service's row. A service none of whose instances has a check of its own is invisible in
 * /v1/health/state/any; its instances (and their nodes' checks) are read once from
 * /v1/health/service/:name, again only when the followed checks change.
 */
function Row({ dc, row, checksIndex }: { dc: string; row: ServiceRow; checksIndex: number }) {
  const [own, setOwn] = useState<{ counts: StatusCounts; instances: number } | undefined>(undefined);
  const unseen = row.instances === 0;
  useEffect(() => {
    if (!unseen) return undefined;
    let live = true;
    request<ServiceEntry[]>('GET', apiUrl(`health/service/${pathPart(row.name)}`, dc)).then(
      (a) => {
        const entries = a.data ?? [];
        if (live) setOwn({ counts: countStatuses(entries.flatMap((e) => e.Checks)), instances: entries.length });
      },
      () => undefined,
    );
    return () => void (live = false);
  }, [unseen, row.name, dc, checksIndex]);
  const counts = unseen ? own?.counts : row.counts;
  const instances = unseen ? own?.instances : row.instances;
  const status = unseen && counts ? (counts.critical > 0 ? 'critical' : counts.warning > 0 ? 'warning' : 'passing') : row.status;
  return (
    <tr data-service={row.name} data-status={status}>
      <th scope="row">
        <a href={href({ view: 'service', dc, name: row.name })}>{row.name}</a>
      </th>
      <td>{counts ? <Counts counts={counts} /> : <span class="muted">…</span>}</td>
      <td class="num">{instances ?? '…'}</td>
      <td>
        <Tags tags={row.tags} />
      </td>
    </tr>
  );
}

/** Passing / warning / critical counts as labelled badges. */
export function Counts({ counts }: { counts: StatusCounts }) {
  return (
    <span class="counts">
      {counts.passing > 0 ? <StatusBadge status="passing" label={`${counts.passing} passing`} /> : null}
      {counts.warning > 0 ? <StatusBadge status="warning" label={`${counts.warning} warning`} /> : null}
      {counts.critical > 0 ? <StatusBadge status="critical" label={`${counts.critical} critical`} /> : null}
      {counts.passing + counts.warning + counts.critical === 0 ? <span class="muted">no checks</span> : null}
    </span>
  );
}
