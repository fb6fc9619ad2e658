import { useEffect, useState } from 'preact/hooks';
import { settings } from './settings.js';

/** Where the app is: Consul's UI paths, `<root><dc>/services[/<name>]`, `/nodes[/<name>]`, `/kv/<path>`. */
export type Route =
  | { readonly view: 'services'; readonly dc: string }
  | { readonly view: 'service'; readonly dc: string; readonly name: string }
  | { readonly view: 'nodes'; readonly dc: string }
  | { readonly view: 'node'; readonly dc: string; readonly name: string }
  | { readonly view: 'kv'; readonly dc: string; readonly path: string }
  | { readonly view: 'home'; readonly dc: string };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The route of `pathname` (under the content path); unknown paths are `home`. */
export function parseRoute(pathname: string, root = settings.root, defaultDc = settings.datacenter): Route {
  if (!pathname.startsWith(root)) return { view: 'home', dc: defaultDc };
  const rest = pathname.slice(root.length);
  const slash = rest.indexOf('/');
  const dc = decode(slash < 0 ? rest : rest.slice(0, slash)) || defaultDc;
  const tail = slash < 0 ? '' : rest.slice(slash + 1);
  const [section = '', ...more] = tail.split('/');
  const name = decode(more.join('/'));
  switch (section) {
    case 'services':
      return name ? { view: 'service', dc, name } : { view: 'services', dc };
    case 'nodes':
      return name ? { view: 'node', dc, name } : { view: 'nodes', dc };
    case 'kv':
      return { view: 'kv', dc, path: name };
    default:
      return { view: 'home', dc };
  }
}

/** The URL of a route (what links point at). */
export function href(route: Route): string {
  const base = `${settings.root}${encodeURIComponent(route.dc)}`;
  switch (route.view) {
    case 'services':
    case 'home':
      return `${base}/services`;
    case 'service':
      return `${base}/services/${encodeURIComponent(route.name)}`;
    case 'nodes':
      return `${base}/nodes`;
    case 'node':
      return `${base}/nodes/${encodeURIComponent(route.name)}`;
    case 'kv':
      return `${base}/kv/${route.path.split('/').map(encodeURIComponent).join('/')}`;
  }
}

const listeners = new Set<() => void>();

/** Goes to `url` without reloading (history.pushState, or replaceState with `replace`). */
export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search + location.hash) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of [...listeners]) l();
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  for (const l of [...listeners]) l();
});

/** Clicks on same-app links route on the client (modifier clicks and new tabs keep the browser's way). */
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
  if (!a.pathname.startsWith(settings.root)) return;
  e.preventDefault();
  navigate(a.pathname + a.search + a.hash);
});

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const l = (): void => setRoute(parseRoute(location.pathname));
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return route;
}
