import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiUrl, request } from './api.js';
import { href, navigate, type Route, useRoute } from './router.js';
import { settings } from './settings.js';
import { KvView } from './views/kv-view.js';
import { NodeView } from './views/node-view.js';
import { NodesView } from './views/nodes-view.js';
import { ServiceView } from './views/service-view.js';
import { ServicesView } from './views/services-view.js';
import './styles.css';

/** The datacenters the agent knows (/v1/catalog/datacenters), read once; the page's own first. */
function useDatacenters(): string[] {
  const [dcs, setDcs] = useState<string[]>([settings.datacenter]);
  useEffect(() => {
    request<string[]>('GET', apiUrl('catalog/datacenters', settings.datacenter)).then(
      (a) => setDcs(a.data && a.data.length > 0 ? a.data : [settings.datacenter]),
      () => undefined,
    );
  }, []);
  return dcs;
}

/** The same view in another datacenter (a page of one node or service goes to the list). */
function inDatacenter(route: Route, dc: string): string {
  switch (route.view) {
    case 'service':
      return href({ view: 'services', dc });
    case 'node':
      return href({ view: 'nodes', dc });
    case 'kv':
      return href({ view: 'kv', dc, path: '' });
    default:
      return href({ ...route, dc });
  }
}

function Nav({ route }: { route: Route }) {
  const dcs = useDatacenters();
  const section = route.view === 'service' || route.view === 'home' ? 'services' : route.view === 'node' ? 'nodes' : route.view;
  const links: { view: 'services' | 'nodes' | 'kv'; label: string }[] = [
    { view: 'services', label: 'Services' },
    { view: 'nodes', label: 'Nodes' },
    { view: 'kv', label: 'Key/Value' },
  ];
  return (
    <header class="top">
      <a class="brand" href={href({ view: 'services', dc: route.dc })}>
        Sextant
      </a>
      <nav aria-label="Main">
        <ul>
          {links.map((l) => (
            <li key={l.view}>
              <a href={href(l.view === 'kv' ? { view: 'kv', dc: route.dc, path: '' } : { view: l.view, dc: route.dc })} aria-current={section === l.view ? 'page' : undefined}>
                {l.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <label class="dc">
        <span>Datacenter</span>
        <select id="dc-switcher" value={route.dc} onChange={(e) => navigate(inDatacenter(route, (e.target as HTMLSelectElement).value))}>
          {(dcs.includes(route.dc) ? dcs : [route.dc, ...dcs]).map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
    </header>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.view) {
    case 'service':
      return <ServiceView key={`${route.dc}/${route.name}`} dc={route.dc} name={route.name} />;
    case 'nodes':
      return <NodesView key={route.dc} dc={route.dc} />;
    case 'node':
      return <NodeView key={`${route.dc}/${route.name}`} dc={route.dc} name={route.name} />;
    case 'kv':
      return <KvView key={`${route.dc}/${route.path}`} dc={route.dc} path={route.path} />;
    default:
      return <ServicesView key={route.dc} dc={route.dc} />;
  }
}

function App() {
  const route = useRoute();
  const previous = useRef<Route | undefined>(undefined);
  // After a navigation inside the app, focus moves to the new page's heading (as a page load
  // would start at the top), so keyboard and screen-reader users are not left on a vanished link.
  // Not on the first page, nor after the redirect from the bare content path.
  useEffect(() => {
    const before = previous.current;
    previous.current = route;
    if (before === undefined || before.view === 'home') return;
    document.getElementById('page-title')?.focus();
  }, [route.view, route.dc, 'name' in route ? route.name : '', 'path' in route ? route.path : '']);
  useEffect(() => {
    if (route.view === 'home') navigate(href({ view: 'services', dc: route.dc }), true);
  }, [route]);
  useEffect(() => {
    document.title = `${route.view === 'service' || route.view === 'node' ? `${route.name} · ` : ''}${route.view === 'kv' ? 'Key/Value' : route.view === 'nodes' || route.view === 'node' ? 'Nodes' : 'Services'} · ${route.dc} · Sextant`;
  }, [route]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Nav route={route} />
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
