import type { Logger } from '../../contracts/platform.js';
import type { ApiSurface } from '../../contracts/ports/api-surface.js';
import type {
  HttpContribution,
  HttpContributionAnswer,
  HttpContributionRequest,
  HttpContributor,
} from '../../contracts/ports/http-contribution.js';
import { loadUiAssets, type UiAsset } from './ui-assets.js';

/** What the UI surface needs. */
export interface UiSurfaceDeps {
  /** ui_config.content_path, normalized (`/ui/`). */
  readonly contentPath: string;
  /** The agent's datacenter (the page's default). */
  readonly datacenter: string;
  /** The folder of the bundled app. */
  readonly assetDir: string;
  readonly logger: Logger;
}

/** Headers on every file answer: the page runs only its own scripts and talks only to this agent. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  'Cache-Control': 'no-cache',
};

const NOT_BUILT =
  'Sextant web UI: the bundled app is missing (run `npm run build`, which bundles plugins/surface-ui/app into dist/).\n';

/**
 * The web UI surface: serves the bundled single-page app at `contentPath` on the agent's HTTP
 * listener (it binds nothing itself: an HttpContributor the REST surface hosts), answers `/`
 * with Consul's 301 to the content path, and answers every path under the content path that is
 * not a file with index.html (the app routes on the client). The app reads the agent only
 * through the public HTTP API.
 */
export class UiSurface implements ApiSurface, HttpContributor {
  readonly name = 'ui';
  private assets: Map<string, UiAsset> | undefined;
  private readonly contribution: HttpContribution;

  constructor(private readonly deps: UiSurfaceDeps) {
    const root = deps.contentPath;
    this.contribution = { paths: ['/', root.slice(0, -1), root], handle: (req) => this.handle(req) };
  }

  /** Loads the bundled app into memory; a missing bundle is logged (its paths then answer 503), not fatal. */
  async start(): Promise<void> {
    try {
      this.assets = loadUiAssets(this.deps.assetDir, { root: this.deps.contentPath, datacenter: this.deps.datacenter });
      this.deps.logger.debug('web UI ready', { path: this.deps.contentPath, files: this.assets.size });
    } catch (e) {
      this.assets = undefined;
      this.deps.logger.warn('web UI not served: the bundled app is missing', { dir: this.deps.assetDir, error: (e as Error).message });
    }
  }

  /** None: the UI is served on the HTTP surface's addresses. */
  addresses(): string[] {
    return [];
  }

  /** Forgets the loaded files. Idempotent. */
  async stop(): Promise<void> {
    this.assets = undefined;
  }

  /** The content path (and `/`) on the agent's HTTP listener. */
  httpContribution(): HttpContribution {
    return this.contribution;
  }

  /** Answers one request for a claimed path. */
  handle(req: HttpContributionRequest): HttpContributionAnswer | undefined {
    const root = this.deps.contentPath;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return { status: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Method Not Allowed\n' };
    }
    if (req.path === '/' || req.path === root.slice(0, -1)) return redirect(root); // Consul's Index, and Go's mux for `/ui`
    if (!req.path.startsWith(root)) return undefined;
    if (this.assets === undefined) return { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: NOT_BUILT };
    let rel: string;
    try {
      rel = decodeURIComponent(req.path.slice(root.length));
    } catch {
      rel = '';
    }
    const file = this.assets.get(rel) ?? this.assets.get('index.html')!;
    const headers: Record<string, string> = { ...PAGE_HEADERS, 'Content-Type': file.contentType, Vary: 'Accept-Encoding' };
    const accepts = String(req.headers['accept-encoding'] ?? '');
    if (file.gzipped && /\bgzip\b/.test(accepts)) {
      headers['Content-Encoding'] = 'gzip';
      return { status: 200, headers, body: file.gzipped };
    }
    return { status: 200, headers, body: file.body };
  }
}

/** Go's http.Redirect with 301 for a GET: the Location and a short HTML body. */
function redirect(to: string): HttpContributionAnswer {
  const escaped = to.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return { status: 301, headers: { Location: to, 'Content-Type': 'text/html; charset=utf-8' }, body: `<a href="${escaped}">Moved Permanently</a>.\n\n` };
}
