import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiUrl, pathPart, request } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, PageHeader, StatusBadge } from '../components.js';
import type { CatalogNode, HealthCheck, NodeServices } from '../model.js';
import { href } from '../router.js';
import { countStatuses, worstStatus } from '../status.js';
import { Counts } from './services-view.js';

/** The host part of `host:port` (`[v6]:port` too). */
export function hostOf(addr: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(addr) ?? /^(.*):\d+$/.exec(addr);
  return m ? m[1]! : addr;
}

/**
 * One node's row. Its services are those its checks name; a node none of whose services has a
 * check (a server's `consul`) has them read once from /v1/catalog/node/:node, again only when the
 * followed checks change.
 */
function NodeRow({ dc, node, checks, leader, checksIndex }: { dc: string; node: CatalogNode; checks: HealthCheck[]; leader: boolean; checksIndex: number }) {
  const fromChecks = [...new Set(checks.filter((c) => c.ServiceID !== '').map((c) => c.ServiceName))].sort();
  const [own, setOwn] = useState<string[] | undefined>(undefined);
  const unseen = fromChecks.length === 0;
  useEffect(() => {
    if (!unseen) return undefined;
    let live = true;
    request<NodeServices>('GET', apiUrl(`catalog/node/${pathPart(node.Node)}`, dc)).then(
      (a) => live && setOwn([...new Set(Object.values(a.data?.Services ?? {}).map((s) => s.Service))].sort()),
      () => undefined,
    );
    return () => void (live = false);
  }, [unseen, node.Node, dc, checksIndex]);
  const services = unseen ? (own ?? []) : fromChecks;
  return (
    <tr data-node={node.Node} data-status={worstStatus(checks)} data-leader={leader ? 'true' : undefined}>
      <th scope="row">
        <a href={href({ view: 'node', dc, name: node.Node })}>{node.Node}</a>
        {leader ? <span class="badge leader">leader</span> : null}
      </th>
      <td>
        <StatusBadge status={worstStatus(checks)} />
      </td>
      <td class="mono">{node.Address}</td>
      <td>
        {services.map((s, i) => (
          <span key={s}>
            {i > 0 ? ', ' : ''}
            <a href={href({ view: 'service', dc, name: s })}>{s}</a>
          </span>
        ))}
      </td>
      <td>
        <Counts counts={countStatuses(checks)} />
      </td>
    </tr>
  );
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
              {(nodes.data ?? []).map((n) => (
                <NodeRow key={n.Node} dc={dc} node={n} checks={byNode.get(n.Node) ?? []} leader={leaderHost !== undefined && leaderHost === n.Address} checksIndex={checks.index} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
