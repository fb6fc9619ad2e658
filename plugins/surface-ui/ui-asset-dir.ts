import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder the build writes the bundled app to, relative to the built plugin (dist/plugins/surface-ui/). */
export const BUNDLE_DIR_NAME = 'static';

/**
 * The folder holding the bundled app (index.html, app.js, app.css): next to the built plugin
 * in dist/, or, when the plugin runs from its TypeScript source (tsx, vitest), the same folder
 * under the package's dist/. The first that exists; the built location when neither does.
 */
export function uiAssetDir(): string {
  const candidates = [
    new URL(`./${BUNDLE_DIR_NAME}/`, import.meta.url),
    new URL(`../../dist/plugins/surface-ui/${BUNDLE_DIR_NAME}/`, import.meta.url),
  ].map((u) => fileURLToPath(u));
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}
