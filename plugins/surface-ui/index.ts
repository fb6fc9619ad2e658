import { definePlugin } from '../../contracts/plugin.js';
import { uiAssetDir } from './ui-asset-dir.js';
import { UiSurface } from './ui-surface.js';

/**
 * The web UI (ui_config.enabled / -ui, on by default with -dev), provided as apiSurface `ui`:
 * the bundled Preact app at ui_config.content_path on the HTTP surface's listener. With the UI
 * off it provides nothing, so those paths stay 404.
 */
export default definePlugin({
  name: 'surface-ui',
  version: '0.1.0',
  kernel: '^1.0.0',
  description: 'The web UI: services, nodes, key/value and sessions over the public HTTP API',
  register(ctx) {
    if (!ctx.config.ui) return;
    ctx.provide('apiSurface', 'ui', (s) =>
      new UiSurface({ contentPath: s.config.uiContentPath, datacenter: s.config.datacenter, assetDir: uiAssetDir(), logger: s.logger.child('ui') }),
    );
  },
});
