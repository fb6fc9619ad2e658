import { apiUrl, pathPart } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, MetaList, PageHeader, StatusBadge, Tags } from '../components.js';
import type { HealthCheck, ServiceEntry } from '../model.js';
import { href } from '../router.js';
import { countStatuses, worstStatus } from '../status.js';
import { Counts } from './services-view.js';

/** One service: each instance's node, address:port, tags, meta and every check with its output. */
export function ServiceView({ dc, name }: { dc: string; name: string }) {
  const entries = useFollowed<ServiceEntry[]>(apiUrl(`health/service/${pathPart(name)}`, dc));
  const list = entries.data ?? [];
  const all = list.flatMap((e) => e.Checks);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={name}>
        <p>
          <a href={href({ view: 'services', dc })}>← All services</a>
        </p>
        {entries.data !== undefined ? (
          <p>
            <StatusBadge status={worstStatus(all)} /> {list.length} {list.length === 1 ? 'instance' : 'instances'} <Counts counts={countStatuses(all)} />
          </p>
        ) : null}
      </PageHeader>
      <ErrorBanner error={entries.error} />
      {entries.data === undefined ? (
        <Loading what="instances" />
      ) : list.length === 0 ? (
        <p class="muted">This service has no instances in {dc}.</p>
      ) : (
        <ul class="cards" id="instances" data-loaded="true">
          {list.map((e) => (
            <Instance key={`${e.Node.Node}/${e.Service.ID}`} dc={dc} entry={e} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Instance({ dc, entry }: { dc: string; entry: ServiceEntry }) {
  const address = entry.Service.Address || entry.Node.Address;
  const headingId = `inst-${entry.Node.Node}-${entry.Service.ID}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return (
    <li class="card" data-instance={entry.Service.ID} data-node={entry.Node.Node} data-status={worstStatus(entry.Checks)} aria-labelledby={headingId}>
      <h2 id={headingId}>
        {entry.Service.ID} <StatusBadge status={worstStatus(entry.Checks)} />
      </h2>
      <dl class="facts">
        <div>
          <dt>Node</dt>
          <dd>
            <a href={href({ view: 'node', dc, name: entry.Node.Node })}>{entry.Node.Node}</a>
          </dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd class="mono">{entry.Service.Port ? `${address}:${entry.Service.Port}` : address}</dd>
        </div>
      </dl>
      <Tags tags={entry.Service.Tags} />
      <MetaList meta={entry.Service.Meta} label="service meta" />
      <ChecksTable checks={entry.Checks} />
    </li>
  );
}

/** Every check with its status and output. */
export function ChecksTable({ checks }: { checks: readonly HealthCheck[] }) {
  if (checks.length === 0) return <p class="muted">No checks.</p>;
  return (
    <div class="table-wrap">
      <table class="checks">
        <caption class="visually-hidden">Checks</caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Status</th>
            <th scope="col">Type</th>
            <th scope="col">Output</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={`${c.Node}/${c.CheckID}`} data-check={c.CheckID} data-status={c.Status}>
              <th scope="row">
                {c.Name}
                <div class="muted mono small">{c.CheckID}</div>
              </th>
              <td>
                <StatusBadge status={c.Status} />
              </td>
              <td>{c.Type || (c.ServiceID ? 'service' : 'node')}</td>
              <td>
                <pre class="output">{c.Output || c.Notes}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
