import type { ApiSurface } from './api-surface.js';

/**
 * Optional ApiSurface capabilities that let one surface answer some paths on another surface's
 * HTTP listener (the web UI on the REST API's address, as Consul serves /ui/ next to /v1/).
 * The kernel mounts every contributor's contribution on every host once all surfaces are started;
 * neither side imports the other.
 */

/** What a contribution sees of an HTTP request. */
export interface HttpContributionRequest {
  /** Upper-case method, e.g. `GET`. */
  readonly method: string;
  /** The request path as sent (still percent-encoded), without the query string. */
  readonly path: string;
  /** Lower-case header names as Node parses them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A complete answer; the host writes it as is (plus its own common headers). */
export interface HttpContributionAnswer {
  readonly status: number;
  /** Header name → value (e.g. `Content-Type`, `Location`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body bytes (empty for a redirect or HEAD). */
  readonly body: Uint8Array | string;
}

/** Paths a surface answers on a host's HTTP listener, and how. */
export interface HttpContribution {
  /**
   * The paths claimed: an entry ending in `/` (other than `/` itself) claims every path under
   * it, any other entry only itself (e.g. `['/', '/ui', '/ui/']`). A claimed path is offered to
   * `handle` before the host's own routes.
   */
  readonly paths: readonly string[];
  /**
   * Answers a request for a claimed path. Must not throw for bad input (answer 4xx instead);
   * `undefined` hands the request back to the host (which answers with its own routes or 404).
   */
  handle(req: HttpContributionRequest): HttpContributionAnswer | undefined | Promise<HttpContributionAnswer | undefined>;
}

/** A surface with paths to serve on a host's listener (it may bind nothing itself). */
export interface HttpContributor {
  /** The contribution, asked once by the kernel after every surface has started. */
  httpContribution(): HttpContribution;
}

/** A surface that owns an HTTP listener and serves other surfaces' contributions on it. */
export interface HttpHost {
  /** Adds `contribution` to the paths served; later mounts win over earlier ones for the same path. */
  mountHttp(contribution: HttpContribution): void;
}

/** Whether `surface` contributes HTTP paths. */
export function isHttpContributor(surface: ApiSurface): surface is ApiSurface & HttpContributor {
  return typeof (surface as Partial<HttpContributor>).httpContribution === 'function';
}

/** Whether `surface` hosts HTTP contributions. */
export function isHttpHost(surface: ApiSurface): surface is ApiSurface & HttpHost {
  return typeof (surface as Partial<HttpHost>).mountHttp === 'function';
}

/** Whether `path` is claimed by `claims` (see HttpContribution.paths). */
export function claimsPath(claims: readonly string[], path: string): boolean {
  return claims.some((c) => (c.endsWith('/') && c !== '/' ? path.startsWith(c) : path === c));
}
