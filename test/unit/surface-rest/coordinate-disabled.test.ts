import { afterEach, describe, expect, it } from 'vitest';
import { startSurface, type SurfaceHarness } from './harness.js';

let h: SurfaceHarness | undefined;
afterEach(async () => {
  await h?.surface.stop();
  h = undefined;
});

describe('/v1/coordinate/* under disable_coordinates', () => {
  it("answers 401 Coordinate support disabled on every route, as Consul's checkCoordinateDisabled", async () => {
    h = await startSurface({ disableCoordinates: true });
    const routes: [string, string][] = [['GET', '/v1/coordinate/datacenters'], ['GET', '/v1/coordinate/nodes'], ['GET', '/v1/coordinate/node/n1'], ['PUT', '/v1/coordinate/update']];
    for (const [method, path] of routes) {
      const r = await fetch(h.base + path, { method, ...(method === 'PUT' ? { body: '{}' } : {}) });
      expect([r.status, await r.text()], path).toEqual([401, 'Coordinate support disabled']);
    }
  });

  it('answers 500 when the agent was built without coordinates (not disabled)', async () => {
    h = await startSurface();
    const r = await fetch(h.base + '/v1/coordinate/nodes');
    expect([r.status, await r.text()]).toEqual([500, 'coordinates are not available on this agent']);
  });
});
