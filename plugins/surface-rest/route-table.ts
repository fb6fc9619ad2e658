import Router from '@koa/router';
import type { RouteDef } from './routes.js';

/** A request path matched to its route. */
export interface RouteMatch {
  readonly route: RouteDef;
  /** Route parameters, URL-decoded (a malformed escape is kept as written), as @koa/router gives them. */
  readonly params: Record<string, string>;
  /** The route's methods for `Allow` (405 answers). */
  readonly allow: string;
  /** The route's methods plus OPTIONS (OPTIONS answers). */
  readonly allowWithOptions: string;
}

interface CompiledRoute {
  readonly route: RouteDef;
  /** Set when the path has no parameters or pattern syntax: matched by string equality. */
  readonly literal: string | undefined;
  readonly regexp: RegExp;
  readonly names: readonly string[];
  readonly allow: string;
  readonly allowWithOptions: string;
}

/** path-to-regexp v8 syntax; a path with none of it matches only itself (strict, case-sensitive). */
const PATTERN_SYNTAX = /[:*?+(){}[\]!\\]/;

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * The route table compiled once: paths are compiled by @koa/router 15 itself (strict and
 * case-sensitive, as path-to-regexp v8 reads them), so matching and parameter decoding are
 * exactly the router's, but a request costs no middleware chain, closures or per-route
 * composition — parameterless paths are a string comparison. The first route that matches, in
 * table order, wins.
 */
export class RouteTable {
  private readonly compiled: readonly CompiledRoute[];

  constructor(routes: readonly RouteDef[]) {
    const router = new Router({ strict: true, sensitive: true });
    for (const route of routes) router.all(route.path, () => undefined);
    this.compiled = routes.map((route, i) => {
      const layer = router.stack[i]!;
      const names = layer.paramNames.map((k) => k.name);
      const methods = Object.keys(route.methods);
      return {
        route,
        literal: names.length === 0 && !PATTERN_SYNTAX.test(route.path) ? route.path : undefined,
        regexp: layer.regexp,
        names,
        allow: methods.join(','),
        allowWithOptions: [...methods, 'OPTIONS'].join(','),
      };
    });
  }

  /** The first route matching the (undecoded) request path, or undefined (404). */
  match(path: string): RouteMatch | undefined {
    for (const c of this.compiled) {
      if (c.literal !== undefined) {
        if (c.literal === path) return { route: c.route, params: NO_PARAMS, allow: c.allow, allowWithOptions: c.allowWithOptions };
        continue;
      }
      const m = c.regexp.exec(path);
      if (m === null) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < c.names.length; i++) {
        const v = m[i + 1];
        if (v !== undefined && v.length > 0) params[c.names[i]!] = safeDecode(v);
      }
      return { route: c.route, params, allow: c.allow, allowWithOptions: c.allowWithOptions };
    }
    return undefined;
  }
}

/** @koa/router's safeDecodeURIComponent: the decoded text, or the text itself when malformed. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
