import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BUNDLE_DIR_NAME } from './ui-asset-dir.js';

/**
 * Bundles the web UI (plugins/surface-ui/app, Preact + TSX) with esbuild into
 * dist/plugins/surface-ui/static/: index.html, app.js and app.css, minified, nothing fetched at
 * run time. Run by `npm run build` after tsc (`node dist/plugins/surface-ui/bundle-app.js`);
 * prints each file's size, raw and gzipped.
 */
export async function bundleApp(root: string): Promise<void> {
  const { build } = await import('esbuild'); // a devDependency: only the build needs it, never the agent
  const app = join(root, 'plugins', 'surface-ui', 'app');
  const out = join(root, 'dist', 'plugins', 'surface-ui', BUNDLE_DIR_NAME);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(app, 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari15.6'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(app, 'tsconfig.json'),
    legalComments: 'none',
    outdir: out,
    logLevel: 'warning',
  });
  copyFileSync(join(app, 'index.html'), join(out, 'index.html'));
  for (const name of ['index.html', 'app.js', 'app.css']) {
    const body = readFileSync(join(out, name));
    process.stdout.write(`surface-ui: ${name} ${(body.length / 1024).toFixed(1)} KB (${(gzipSync(body, { level: 9 }).length / 1024).toFixed(1)} KB gzipped)\n`);
  }
}

/** The package root: the nearest folder above this file holding package.json. */
function packageRootOf(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${file}`);
    dir = up;
  }
  return dir;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleApp(packageRootOf(fileURLToPath(import.meta.url)));
}
