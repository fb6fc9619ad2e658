import type { ApiSurface } from '../../contracts/ports/api-surface.js';
import { isHttpContributor, isHttpHost } from '../../contracts/ports/http-contribution.js';

/**
 * Mounts every HttpContributor surface's paths on every HttpHost surface (the web UI on the REST
 * API's listener), once all surfaces are started. A surface never mounts on itself.
 */
export function mountHttpContributions(surfaces: readonly ApiSurface[]): void {
  const hosts = surfaces.filter(isHttpHost);
  for (const s of surfaces) {
    if (!isHttpContributor(s)) continue;
    const contribution = s.httpContribution();
    for (const host of hosts) if ((host as ApiSurface) !== s) host.mountHttp(contribution);
  }
}
