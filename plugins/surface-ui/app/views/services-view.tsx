import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiUrl } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, PageHeader, StatusBadge, Tags } from '../components.js';
import type { ServiceSummary } from '../model.js';
import { href } from '../router.js';
import type { StatusCounts } from '../status.js';

/** One row of the services list. */
export interface ServiceRow {
  name: string;
  tags: string[];
  counts: StatusCounts;
  instances: number;
  status: 'passing' | 'warning' | 'critical';
}

/**
 * The rows from /v1/internal/ui/services: the agent rolls each service up (its instances' checks
 * and their nodes' checks, each counted once), so services without checks of their own are
 * counted like any other.
 */
export function serviceRows(summaries: readonly ServiceSummary[]): ServiceRow[] {
  return summaries.map((s) => {
    const counts: StatusCounts = { passing: s.ChecksPassing, warning: s.ChecksWarning, critical: s.ChecksCritical };
    const status = counts.critical > 0 ? 'critical' : counts.warning > 0 ? 'warning' : 'passing';
    return { name: s.Name, tags: s.Tags ?? [], counts, instances: s.InstanceCount, status };
  });
}

type StatusFilter = 'all' | 'passing' | 'warning' | 'critical';

/** Rows rendered at first; more as the list is scrolled (or "Show more" is pressed), so a long list is usable at once. */
export const PAGE_ROWS = 50;

/** Every service with its health roll-up, tags and instance count; searchable and filterable by status. */
export function ServicesView({ dc }: { dc: string }) {
  // One blocking query for the whole list: names, tags, instance counts and check roll-ups in one answer.
  const services = useFollowed<ServiceSummary[]>(apiUrl('internal/ui/services', dc));
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState<StatusFilter>('all');
  const [limit, setLimit] = useState(PAGE_ROWS);
  const rows = useMemo(() => (services.data === undefined ? undefined : serviceRows(services.data ?? [])), [services.data]);
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
      <ErrorBanner error={services.error} />
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
          <table class="list" id="services-list" data-loaded="true" data-count={shown.length} data-health="loaded">
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
                <Row key={r.name} dc={dc} row={r} />
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

/** One service's row. */
function Row({ dc, row }: { dc: string; row: ServiceRow }) {
  return (
    <tr data-service={row.name} data-status={row.status}>
      <th scope="row">
        <a href={href({ view: 'service', dc, name: row.name })}>{row.name}</a>
      </th>
      <td>
        <Counts counts={row.counts} />
      </td>
      <td class="num">{row.instances}</td>
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
