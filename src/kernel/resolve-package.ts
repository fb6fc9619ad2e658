import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Resolving a bare package specifier (`sextant-plugin-x`, `@acme/plugin`, `pkg/sub/path`) the way
 * an ES `import` from a file in `fromDir` would: the nearest `node_modules/<name>` upwards, then
 * its package.json `exports` under the `import`, `node` and `default` conditions (or `main`, or
 * `index.js`). `require.resolve` is not enough: it applies the `require` condition, so a package
 * that exports for `import` only (common for ES-module plugins) was not found at all.
 */

/** Why a package was found but has no module for the specifier (Node's ERR_PACKAGE_PATH_NOT_EXPORTED and friends). */
export class PackageResolveError extends Error {}

const CONDITIONS = ['import', 'node', 'default'];

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `name` and the subpath (`.` or `./x`) of a bare specifier; undefined when it is not one. */
function splitSpecifier(spec: string): { name: string; subpath: string } | undefined {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => p === '' || p === '.' || p === '..')) return undefined;
  const rest = parts.slice(n).join('/');
  return { name: parts.slice(0, n).join('/'), subpath: rest === '' ? '.' : `./${rest}` };
}

/** A target of `exports` under our conditions: a `./` path, or undefined when none applies. */
function conditionalTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target.startsWith('./') ? target : undefined;
  if (Array.isArray(target)) {
    for (const t of target) {
      const hit = conditionalTarget(t);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [cond, value] of Object.entries(target)) {
      if (!CONDITIONS.includes(cond)) continue;
      const hit = conditionalTarget(value);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** The `exports` target for `subpath` (exact keys, then `*` patterns, longest prefix first). */
function exportsTarget(exportsField: unknown, subpath: string): string | undefined {
  const isSubpathMap =
    typeof exportsField === 'object' && exportsField !== null && !Array.isArray(exportsField) && Object.keys(exportsField).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionalTarget(exportsField) : undefined;
  const map = exportsField as Record<string, unknown>;
  if (Object.hasOwn(map, subpath) && !subpath.includes('*')) return conditionalTarget(map[subpath]);
  const patterns = Object.keys(map)
    .filter((k) => k.split('*').length === 2)
    .sort((a, b) => b.indexOf('*') - a.indexOf('*'));
  for (const key of patterns) {
    const [pre, post] = key.split('*') as [string, string];
    if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= key.length - 1) {
      const target = conditionalTarget(map[key]);
      return target?.replaceAll('*', subpath.slice(pre.length, subpath.length - post.length));
    }
  }
  return undefined;
}

/** A file path as Node's legacy `main` lookup finds it: as is, with `.js`, or its `index.js`. */
function legacyFile(p: string): string | undefined {
  return [p, `${p}.js`, join(p, 'index.js')].find(isFile);
}

/**
 * The module file `spec` names from `fromDir`, or undefined when no `node_modules` above it holds
 * the package. Throws PackageResolveError when the package is there but does not provide the
 * specifier (not exported, or its file is missing).
 */
export function resolvePackageImport(spec: string, fromDir: string): string | undefined {
  const parsed = splitSpecifier(spec);
  if (!parsed) return undefined;
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', parsed.name);
    const pkgFile = join(pkgDir, 'package.json');
    if (isFile(pkgFile)) return resolveInPackage(pkgDir, pkgFile, parsed.subpath, spec);
    if (dirname(dir) === dir) return undefined;
  }
}

function resolveInPackage(pkgDir: string, pkgFile: string, subpath: string, spec: string): string {
  let pkg: { exports?: unknown; main?: unknown };
  try {
    pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg;
  } catch (e) {
    throw new PackageResolveError(`${pkgFile} is not valid JSON: ${(e as Error).message}`);
  }
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const target = exportsTarget(pkg.exports, subpath);
    if (target === undefined) throw new PackageResolveError(`package ${pkgDir} does not export ${JSON.stringify(subpath)} for import (its package.json "exports")`);
    const file = resolve(pkgDir, target);
    if (!isFile(file)) throw new PackageResolveError(`package ${pkgDir} exports ${JSON.stringify(subpath)} as ${target}, which does not exist`);
    return file;
  }
  const file =
    subpath === '.'
      ? (typeof pkg.main === 'string' ? legacyFile(resolve(pkgDir, pkg.main)) : undefined) ?? legacyFile(join(pkgDir, 'index.js'))
      : legacyFile(resolve(pkgDir, subpath));
  if (file === undefined) throw new PackageResolveError(`package ${pkgDir} has no module for ${JSON.stringify(spec)}`);
  return file;
}
