import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiSurface } from '../../../contracts/ports/api-surface.js';
import type { PluginContext, ProviderFactory } from '../../../contracts/plugin.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { TextLogger } from '../../../src/platform/text-logger.js';
import { mountHttpContributions } from '../../../src/kernel/mount-http-contributions.js';
import plugin from '../../../plugins/surface-ui/index.js';
import { UiSurface } from '../../../plugins/surface-ui/ui-surface.js';
import { startSurface, type SurfaceHarness } from '../surface-rest/harness.js';
import { testConfig } from '../surface-rest/fakes.js';

const INDEX = '<!doctype html><meta name="sextant-ui" content="__SEXTANT_UI_SETTINGS__"><script type="module" src="__SEXTANT_UI_ROOT__app.js"></script>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(2000))});`;

const dirs: string[] = [];
const harnesses: SurfaceHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.surface.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bundleDir(files: Record<string, string> = { 'index.html': INDEX, 'app.js': APP_JS, 'app.css': 'body{}' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-ui-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const logs: string[] = [];
const logger = TextLogger.create({ level: 'debug', sink: (l) => logs.push(l), clock: new SystemClock() });

async function ui(contentPath = '/ui/', assetDir = bundleDir()): Promise<UiSurface> {
  const s = new UiSurface({ contentPath, datacenter: 'dc7', assetDir, logger });
  await s.start();
  return s;
}

const get = (path: string, headers: Record<string, string> = {}) => ({ method: 'GET', path, headers });

describe('UiSurface (the web UI on the HTTP listener)', () => {
  it('answers / and the bare content path with a 301 to the content path (Consul’s Index)', async () => {
    const s = await ui();
    for (const p of ['/', '/ui']) {
      const a = s.handle(get(p))!;
      expect([a.status, a.headers['Location']]).toEqual([301, '/ui/']);
    }
    const custom = await ui('/consul/ui/');
    expect(custom.handle(get('/'))!.headers['Location']).toBe('/consul/ui/');
    expect(custom.httpContribution().paths).toEqual(['/', '/consul/ui', '/consul/ui/']);
  });

  it('serves the files; any other path under the content path gets index.html with the page settings filled in', async () => {
    const s = await ui();
    const js = s.handle(get('/ui/app.js'))!;
    expect([js.status, js.headers['Content-Type'], String(js.body)]).toEqual([200, 'text/javascript; charset=utf-8', APP_JS]);
    for (const p of ['/ui/', '/ui/dc7/services/web', '/ui/dc7/kv/a/b/']) {
      const page = s.handle(get(p))!;
      expect(page.status).toBe(200);
      expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
      const html = String(page.body);
      expect(html).toContain('src="/ui/app.js"');
      expect(html).toContain('content="{&quot;root&quot;:&quot;/ui/&quot;,&quot;datacenter&quot;:&quot;dc7&quot;}"');
    }
  });

  it('sends gzip to clients that accept it', async () => {
    const s = await ui();
    const a = s.handle(get('/ui/app.js', { 'accept-encoding': 'gzip, deflate, br' }))!;
    expect(a.headers['Content-Encoding']).toBe('gzip');
    expect(gunzipSync(a.body as Uint8Array).toString()).toBe(APP_JS);
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const s = await ui();
    const a = s.handle({ method: 'PUT', path: '/ui/app.js', headers: {} })!;
    expect([a.status, a.headers['Allow']]).toEqual([405, 'GET, HEAD']);
  });

  it('without a built bundle the agent still starts; the UI paths say how to build it (503)', async () => {
    const s = await ui('/ui/', join(tmpdir(), 'sextant-ui-missing-bundle'));
    const a = s.handle(get('/ui/'))!;
    expect(a.status).toBe(503);
    expect(String(a.body)).toContain('npm run build');
    expect(s.handle(get('/'))!.status).toBe(301);
  });
});

describe('surface-ui plugin and the HTTP contribution seam', () => {
  function provided(ui: boolean): string[] {
    const ids: string[] = [];
    const ctx = {
      name: 'surface-ui',
      pluginConfig: {},
      config: testConfig({ ui }),
      logger,
      provide: (port: string, id: string, _f: ProviderFactory<'apiSurface'>) => ids.push(`${port}:${id}`),
    } as unknown as PluginContext;
    void plugin.register(ctx);
    return ids;
  }

  it('provides the `ui` surface only with ui_config.enabled', () => {
    expect(provided(true)).toEqual(['apiSurface:ui']);
    expect(provided(false)).toEqual([]);
  });

  it('the REST surface serves a mounted contribution ahead of its routes, and only the claimed paths', async () => {
    const h = await startSurface();
    harnesses.push(h);
    expect((await fetch(`${h.base}/ui/`)).status).toBe(404); // nothing mounted: as with the UI off
    const s = await ui();
    mountHttpContributions([h.surface, s as ApiSurface]);
    const root = await fetch(`${h.base}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([301, '/ui/']);
    const page = await fetch(`${h.base}/ui/dc1/nodes`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.headers.get('x-consul-default-acl-policy')).toBe('allow'); // the host's common headers still apply
    const head = await fetch(`${h.base}/ui/app.js`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await fetch(`${h.base}/uix`)).status).toBe(404);
    expect((await fetch(`${h.base}/v1/status/leader`)).status).toBe(200);
  });
});
