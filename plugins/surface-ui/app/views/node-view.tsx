import { useState } from 'preact/hooks';
import { ApiError, apiUrl, pathPart, request } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, MetaList, PageHeader, StatusBadge, Tags } from '../components.js';
import type { HealthCheck, NodeServices, Session } from '../model.js';
import { href } from '../router.js';
import { worstStatus } from '../status.js';
import { ChecksTable } from './service-view.js';

/** One node: its address, meta, services, checks, and its sessions (each can be invalidated). */
export function NodeView({ dc, name }: { dc: string; name: string }) {
  const node = useFollowed<NodeServices>(apiUrl(`catalog/node/${pathPart(name)}`, dc));
  const checks = useFollowed<HealthCheck[]>(apiUrl(`health/node/${pathPart(name)}`, dc));
  const sessions = useFollowed<Session[]>(apiUrl(`session/node/${pathPart(name)}`, dc));
  const services = Object.values(node.data?.Services ?? {}).sort((a, b) => a.ID.localeCompare(b.ID));
  return (
    <section aria-labelledby="page-title">
      <PageHeader title={name}>
        <p>
          <a href={href({ view: 'nodes', dc })}>← All nodes</a>
        </p>
        {checks.data ? (
          <p>
            <StatusBadge status={worstStatus(checks.data)} /> <span class="mono">{node.data?.Node.Address ?? ''}</span>
          </p>
        ) : null}
      </PageHeader>
      <ErrorBanner error={node.error ?? checks.error} />
      {node.data === undefined ? (
        <Loading what="node" />
      ) : node.data === null ? (
        <p class="muted">There is no node {name} in {dc}.</p>
      ) : (
        <>
          <MetaList meta={node.data.Node.Meta} label="node meta" />
          <h2>Services</h2>
          {services.length === 0 ? (
            <p class="muted">No services.</p>
          ) : (
            <ul class="plain" id="node-services">
              {services.map((s) => (
                <li key={s.ID}>
                  <a href={href({ view: 'service', dc, name: s.Service })}>{s.Service}</a> <span class="muted mono">{s.ID}</span>{' '}
                  <span class="mono">{s.Port ? `${s.Address || node.data!.Node.Address}:${s.Port}` : ''}</span> <Tags tags={s.Tags} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h2>Checks</h2>
      {checks.data === undefined ? <Loading what="checks" /> : <ChecksTable checks={checks.data ?? []} />}
      <h2 id="sessions">Sessions</h2>
      <Sessions dc={dc} sessions={sessions.data} error={sessions.error} />
    </section>
  );
}

function Sessions({ dc, sessions, error }: { dc: string; sessions: Session[] | null | undefined; error: ApiError | undefined }) {
  const [failure, setFailure] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const invalidate = async (id: string): Promise<void> => {
    setBusy(id);
    setFailure(undefined);
    try {
      await request('PUT', apiUrl(`session/destroy/${encodeURIComponent(id)}`, dc));
    } catch (e) {
      setFailure(e instanceof ApiError ? e : new ApiError(0, String(e)));
    } finally {
      setBusy(undefined);
    }
  };
  const focused = location.hash.startsWith('#session-') ? location.hash.slice('#session-'.length) : undefined;
  return (
    <>
      <ErrorBanner error={error ?? failure} />
      {sessions === undefined ? (
        <Loading what="sessions" />
      ) : (sessions ?? []).length === 0 ? (
        <p class="muted" id="sessions-empty">
          No sessions on this node.
        </p>
      ) : (
        <div class="table-wrap">
          <table class="list" id="sessions-list">
            <caption class="visually-hidden">Sessions</caption>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Name</th>
                <th scope="col">Behavior</th>
                <th scope="col">TTL</th>
                <th scope="col">Lock delay</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(sessions ?? []).map((s) => (
                <tr key={s.ID} id={`session-${s.ID}`} data-session={s.ID} class={focused === s.ID ? 'highlight' : undefined}>
                  <th scope="row" class="mono">
                    {s.ID}
                  </th>
                  <td>{s.Name}</td>
                  <td>{s.Behavior}</td>
                  <td>{s.TTL || '—'}</td>
                  <td>{`${Math.round(s.LockDelay / 1e6)} ms`}</td>
                  <td>
                    <button type="button" class="danger" disabled={busy === s.ID} onClick={() => void invalidate(s.ID)} aria-label={`Invalidate session ${s.ID}`}>
                      Invalidate
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
