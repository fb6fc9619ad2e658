import Router from '@koa/router';
import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../../plugins/surface-rest/route-table.js';
import type { RouteDef } from '../../../plugins/surface-rest/routes.js';
import { ROUTES } from '../../../plugins/surface-rest/routes.js';

const noop = async (): Promise<void> => undefined;

/** What @koa/router 15 (strict, case-sensitive) answers for `path`: the first matching route and its params. */
function viaRouter(routes: readonly RouteDef[], path: string): { path: string; params: Record<string, string> } | undefined {
  const router = new Router({ strict: true, sensitive: true });
  for (const r of routes) router.all(r.path, noop);
  const m = router.match(path, 'GET');
  const layer = m.pathAndMethod[0];
  if (!m.route || !layer) return undefined;
  return { path: layer.path as string, params: layer.params(path, layer.captures(path), {}) as Record<string, string> };
}

const PATHS = [
  '/v1/kv/',
  '/v1/kv',
  '/v1/kv/a',
  '/v1/kv/a/b/',
  '/v1/kv/a%2Fb%20c',
  '/v1/kv/%E0%A4%A',
  '/v1/kv/caf%C3%A9',
  '/V1/kv/a',
  '/v1/status/leader',
  '/v1/status/leader/',
  '/v1/status/LEADER',
  '/v1/status/peers',
  '/v1/agent/self',
  '/v1/agent/reload',
  '/v1/catalog/node/n1',
  '/v1/catalog/node/n%2F1',
  '/v1/catalog/node/',
  '/v1/catalog/node/a/b',
  '/v1/health/service/web',
  '/v1/health/state/any',
  '/v1/unknown',
  '/',
];

describe('RouteTable', () => {
  it('matches every path and decodes params exactly as @koa/router does for the live route table', () => {
    const table = new RouteTable(ROUTES);
    for (const p of PATHS) {
      const m = table.match(p);
      const expected = viaRouter(ROUTES, p);
      expect(m && { path: m.route.path, params: { ...m.params } }, p).toEqual(expected);
    }
  });

  it('lets the first route in table order win, literal or not', () => {
    const routes: RouteDef[] = [
      { path: '/x/:id', methods: { GET: noop } },
      { path: '/x/literal', methods: { PUT: noop } },
      { path: '/y/literal', methods: { PUT: noop, DELETE: noop } },
      { path: '/y/:id', methods: { GET: noop } },
    ];
    const table = new RouteTable(routes);
    expect(table.match('/x/literal')?.route).toBe(routes[0]);
    expect(table.match('/x/literal')?.params).toEqual({ id: 'literal' });
    expect(table.match('/y/literal')?.route).toBe(routes[2]);
    expect(table.match('/y/other')?.params).toEqual({ id: 'other' });
    expect(table.match('/y/literal')?.allow).toBe('PUT,DELETE');
    expect(table.match('/y/literal')?.allowWithOptions).toBe('PUT,DELETE,OPTIONS');
  });
});
