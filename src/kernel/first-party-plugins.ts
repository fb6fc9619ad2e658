import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/**
 * First-party plugins every agent loads before the config's own `plugins`, through the same
 * loader as third-party ones. Each is a folder under plugins/.
 */
export const FIRST_PARTY_PLUGINS: readonly string[] = [
  'log-store-sqlite',
  'log-store-memory',
  'transport-tcp',
  'transport-udp',
  'check-script',
  'check-http',
  'check-tcp',
  'check-ttl',
  'check-docker',
  'check-grpc',
  'check-h2ping',
  'check-udp',
  'check-alias',
  'surface-rest',
  'surface-dns',
  'surface-ui',
];

/**
 * The module path of a first-party plugin: the built `.js` when running from dist/, the `.ts`
 * source when running under a TypeScript loader (tsx, vitest).
 */
export function firstPartyPluginPath(name: string): string {
  const root = packageRoot();
  const built = join(root, 'dist', 'plugins', name, 'index.js');
  const source = join(root, 'plugins', name, 'index.ts');
  const fromSource = import.meta.url.endsWith('.ts');
  if (fromSource && existsSync(source)) return source;
  if (existsSync(built)) return built;
  return source;
}
