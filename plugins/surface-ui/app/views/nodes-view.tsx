import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiUrl, request } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, PageHeader, StatusBadge } from '../components.js';
import type { CatalogNode, HealthCheck } from '../model.js';
import { href } from '../router.js';
import { countStatuses, worstStatus } from '../status.js';
import { Counts } from './services-view.js';

/** The host part of `host:port` (`[v6]:port` too). */
export function hostOf(addr: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(addr) ?? /^(.*):\d+$/.exec(addr);
  return m ? m[1]! : addr;
}

/** Every node with its health, address, the services its checks belong to and its checks; the Raft leader marked. */
export function NodesView({ dc }: { dc: string }) {
  const nodes = useFollowed<CatalogNode[]>(apiUrl('catalog/nodes', dc));
  const checks = useFollowed<HealthCheck[]>(apiUrl('health/state/any', dc));
  const [leader, setLeader] = useState<string | undefined>(undefined);
  // /v1/status/leader does not block: it is read again whenever the node list changes.
  useEffect(() => {
    let live = true;
    request<string>('GET', apiUrl('status/leader', dc)).then(
      (a) => live && setLeader(typeof a.data === 'string' ? a.data : ''),
      () => live && setLeader(''),
    );
    return () => void (live = false);
  }, [dc, nodes.index]);
  const byNode = useMemo(() => {
    const m = new Map<string, HealthCheck[]>();
    for (const c of checks.data ?? []) {
      const l = m.get(c.Node);
      if (l) l.push(c);
      else m.set(c.Node, [c]);
    }
    return m;
  }, [checks.data]);
  const leaderHost = leader ? hostOf(leader) : undefined;
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Nodes">
        <p class="muted">{nodes.data ? `${nodes.data.length} nodes` : ''}</p>
      </PageHeader>
      <ErrorBanner error={nodes.error ?? checks.error} />
      {nodes.data === undefined ? (
        <Loading what="nodes" />
      ) : (
        <div class="table-wrap">
          <table class="list" id="nodes-list" data-loaded="true">
            <caption class="visually-hidden">Nodes</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Health</th>
                <th scope="col">Address</th>
                <th scope="col">Services</th>
                <th scope="col">Checks</th>
              </tr>
            </thead>
            <tbody>
              {(nodes.data ?? []).map((n) => {
                const cs = byNode.get(n.Node) ?? [];
                const services = [...new Set(cs.filter((c) => c.ServiceID !== '').map((c) => c.ServiceName))].sort();
                const isLeader = leaderHost !== undefined && leaderHost === n.Address;
                return (
                  <tr key={n.Node} data-node={n.Node} data-status={worstStatus(cs)} data-leader={isLeader ? 'true' : undefined}>
                    <th scope="row">
                      <a href={href({ view: 'node', dc, name: n.Node })}>{n.Node}</a>
                      {isLeader ? <span class="badge leader">leader</span> : null}
                    </th>
                    <td>
                      <StatusBadge status={worstStatus(cs)} />
                    </td>
                    <td class="mono">{n.Address}</td>
                    <td>
                      {services.map((s, i) => (
                        <span key={s}>
                          {i > 0 ? ', ' : ''}
                          <a href={href({ view: 'service', dc, name: s })}>{s}</a>
                        </span>
                      ))}
                    </td>
                    <td>
                      <Counts counts={countStatuses(cs)} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
