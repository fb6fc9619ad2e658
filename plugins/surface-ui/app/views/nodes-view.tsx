import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiUrl, request } from '../api.js';
import { useFollowed } from '../blocking.js';
import { ErrorBanner, Loading, PageHeader, StatusBadge } from '../components.js';
import type { NodeInfo } from '../model.js';
import { href } from '../router.js';
import { countStatuses, worstStatus } from '../status.js';
import { Counts } from './services-view.js';

/** The host part of `host:port` (`[v6]:port` too). */
export function hostOf(addr: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(addr) ?? /^(.*):\d+$/.exec(addr);
  return m ? m[1]! : addr;
}

/** One node's row: its services and checks come with it from /v1/internal/ui/nodes (services without checks too). */
function NodeRow({ dc, node, leader }: { dc: string; node: NodeInfo; leader: boolean }) {
  const checks = node.Checks ?? [];
  const services = [...new Set((node.Services ?? []).map((s) => s.Service))].sort();
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

/** Every node with its health, address, its services and its checks (one blocking query: /v1/internal/ui/nodes); the Raft leader marked. */
export function NodesView({ dc }: { dc: string }) {
  const nodes = useFollowed<NodeInfo[]>(apiUrl('internal/ui/nodes', dc));
  const membership = useMemo(() => (nodes.data ?? []).map((n) => `${n.Node}@${n.Address}`).join(','), [nodes.data]);
  const [leader, setLeader] = useState<string | undefined>(undefined);
  // /v1/status/leader does not block: it is read again when the set of nodes (or their addresses) changes, not on every check update.
  useEffect(() => {
    let live = true;
    request<string>('GET', apiUrl('status/leader', dc)).then(
      (a) => live && setLeader(typeof a.data === 'string' ? a.data : ''),
      () => live && setLeader(''),
    );
    return () => void (live = false);
  }, [dc, membership]);
  const leaderHost = leader ? hostOf(leader) : undefined;
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Nodes">
        <p class="muted">{nodes.data ? `${nodes.data.length} nodes` : ''}</p>
      </PageHeader>
      <ErrorBanner error={nodes.error} />
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
                <NodeRow key={n.Node} dc={dc} node={n} leader={leaderHost !== undefined && leaderHost === n.Address} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
