import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the bundled app, ready to send. */
export interface UiAsset {
  readonly contentType: string;
  readonly body: Buffer;
  /** The body gzipped, when that is smaller (text files). */
  readonly gzipped: Buffer | undefined;
}

/** What the page learns from the agent that serves it, written into index.html. */
export interface UiPageSettings {
  /** The content path, e.g. `/ui/` (the app's routes live under it). */
  readonly root: string;
  /** The serving agent's datacenter: the switcher's first choice. */
  readonly datacenter: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** The placeholder index.html carries where the page settings go (an HTML attribute value). */
export const SETTINGS_PLACEHOLDER = '__SEXTANT_UI_SETTINGS__';
/** The placeholder index.html carries where the content path goes (asset URLs). */
export const ROOT_PLACEHOLDER = '__SEXTANT_UI_ROOT__';

/** `text` safe inside a double-quoted HTML attribute. */
function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Reads every file of the bundled app in `dir` (flat) into memory, keyed by file name, with
 * index.html's placeholders filled from `settings`. Throws (Node's ENOENT) when `dir` or its
 * index.html is missing: the app was not built.
 */
export function loadUiAssets(dir: string, settings: UiPageSettings): Map<string, UiAsset> {
  const assets = new Map<string, UiAsset>();
  const names = readdirSync(dir);
  if (!names.includes('index.html')) readFileSync(join(dir, 'index.html')); // throws ENOENT naming the file
  for (const name of names) {
    let body = readFileSync(join(dir, name));
    if (name === 'index.html') {
      body = Buffer.from(
        body
          .toString('utf8')
          .replaceAll(SETTINGS_PLACEHOLDER, attr(JSON.stringify(settings)))
          .replaceAll(ROOT_PLACEHOLDER, attr(settings.root)),
      );
    }
    const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
    const text = contentType.startsWith('text/') || contentType.includes('json') || contentType.includes('svg');
    const packed = text ? gzipSync(body, { level: 9 }) : undefined;
    assets.set(name, { contentType, body, gzipped: packed && packed.length < body.length ? packed : undefined });
  }
  return assets;
}
