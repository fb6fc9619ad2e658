import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import AjvModule from 'ajv';
import semver from 'semver';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { KERNEL_API_VERSION } from '../../contracts/plugin.js';
import type { PluginManifest } from '../../contracts/plugin.js';
import { coreCheckFieldNames, validateAgainstSchema } from '../config/config-schema.js';
import { packageRoot } from './package-root.js';
import { PackageResolveError, resolvePackageImport } from './resolve-package.js';

const Ajv = AjvModule.default ?? AjvModule;

/** Where a plugin comes from: a path (relative to the config file naming it) or a package name. */
export interface PluginRef {
  spec: string;
  baseDir: string;
  /** The config file that named it, or 'first-party'. */
  source: string;
}

/** A plugin whose module is imported and whose manifest and config are valid. */
export interface LoadedPlugin {
  manifest: PluginManifest;
  /** The resolved module file. */
  file: string;
  source: string;
  /** plugin_config.<name> after validation, with schema defaults applied. */
  pluginConfig: unknown;
}

/** A check-definition field a plugin may add: snake_case, starting with a letter. */
const CHECK_FIELD_RE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(code: SextantError['code'], ref: PluginRef, plugin: string, reason: string): SextantError {
  return new SextantError(code, `${ref.source}: plugin ${plugin}: ${reason}`, { source: ref.source, plugin });
}

/**
 * Resolves a plugin spec to a module file: a path (file or folder with package.json/index),
 * relative to the naming config file, or a package name (see resolvePackageImport).
 */
export function resolvePluginFile(ref: PluginRef): string {
  const isPath = ref.spec.startsWith('.') || isAbsolute(ref.spec);
  if (isPath) {
    const p = resolve(ref.baseDir, ref.spec);
    if (!existsSync(p)) throw fail(ErrorCode.PluginNotFound, ref, ref.spec, `no such file or directory: ${p}`);
    if (!statSync(p).isDirectory()) return p;
    const pkgFile = join(p, 'package.json');
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string };
      if (pkg.main) return resolve(p, pkg.main);
    }
    for (const f of ['index.js', 'index.mjs', 'index.ts']) if (existsSync(join(p, f))) return join(p, f);
    throw fail(ErrorCode.PluginNotFound, ref, ref.spec, `directory ${p} has no package.json main or index.js`);
  }
  // A package name: from the config file's directory upwards, then from Sextant's own
  // installation (plugins installed next to it), resolved as an ES import would resolve it.
  try {
    const file = resolvePackageImport(ref.spec, ref.baseDir) ?? resolvePackageImport(ref.spec, packageRoot());
    if (file !== undefined) return file;
  } catch (e) {
    if (!(e instanceof PackageResolveError)) throw e;
    throw fail(ErrorCode.PluginNotFound, ref, ref.spec, e.message);
  }
  throw fail(ErrorCode.PluginNotFound, ref, ref.spec, `cannot find package "${ref.spec}" from ${ref.baseDir}`);
}

/** Checks the manifest's shape and kernel range; returns it typed. */
export function validateManifest(value: unknown, ref: PluginRef): PluginManifest {
  const m = value as Partial<PluginManifest> | undefined;
  const label = typeof m?.name === 'string' ? m.name : ref.spec;
  const bad = (reason: string): SextantError => fail(ErrorCode.PluginManifestInvalid, ref, label, reason);
  if (!m || typeof m !== 'object') throw bad('the module has no default export (expected a plugin manifest object)');
  // Friendlier texts than the schema's patterns for the fields every author gets wrong first.
  if (typeof m.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(m.name)) throw bad('manifest.name must be a kebab-case string');
  if (typeof m.version !== 'string' || !semver.valid(m.version)) throw bad('manifest.version must be a semver version');
  if (isRecord(m.checkFields)) {
    for (const field of Object.keys(m.checkFields)) {
      if (!CHECK_FIELD_RE.test(field)) throw bad(`manifest.checkFields: ${JSON.stringify(field)} is not a snake_case field name`);
    }
  }
  // The data fields' shape: contracts/schemas/plugin-manifest.schema.json.
  const problems = validateAgainstSchema('plugin-manifest', m, ref.source);
  if (problems.length > 0) {
    throw bad(problems.map((p) => `manifest${(p.pointer ?? '').replaceAll('/', '.')}: ${p.message}`).join('; '));
  }
  // What a JSON Schema cannot say.
  if (typeof m.register !== 'function') throw bad('manifest.register must be a function');
  if (typeof m.kernel !== 'string' || !semver.validRange(m.kernel)) throw bad('manifest.kernel must be a semver range');
  const core = coreCheckFieldNames();
  for (const field of Object.keys(m.checkFields ?? {})) {
    if (core.has(field)) throw bad(`manifest.checkFields: ${JSON.stringify(field)} is a core check-definition field`);
  }
  if (!semver.satisfies(KERNEL_API_VERSION, m.kernel)) {
    throw fail(
      ErrorCode.PluginKernelMismatch,
      ref,
      m.name,
      `needs kernel API ${m.kernel}, this agent has ${KERNEL_API_VERSION}`,
    );
  }
  return m as PluginManifest;
}

/**
 * Resolves and imports a plugin module and checks its manifest (nothing is registered). Throws
 * PLUGIN_NOT_FOUND when it cannot be found or imported, and validateManifest's errors.
 */
export async function importPluginManifest(ref: PluginRef): Promise<{ file: string; manifest: PluginManifest }> {
  const file = resolvePluginFile(ref);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw fail(ErrorCode.PluginNotFound, ref, ref.spec, `cannot import ${file}: ${(e as Error).message}`);
  }
  return { file, manifest: validateManifest(mod.default, ref) };
}

/**
 * Validates plugin_config.<name> against the manifest's schema, applying defaults. Errors name
 * `ref.source`: pass a ref whose source is the file(s) that set the config when known.
 */
export function validatePluginConfig(manifest: PluginManifest, raw: unknown, ref: PluginRef): unknown {
  const value = structuredClone(raw ?? {});
  if (!manifest.configSchema) {
    if (raw !== undefined && (typeof raw !== 'object' || raw === null || Object.keys(raw).length > 0)) {
      throw fail(ErrorCode.PluginConfigInvalid, ref, manifest.name, `plugin_config.${manifest.name}: this plugin takes no configuration`);
    }
    return value;
  }
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  let validate;
  try {
    validate = ajv.compile(manifest.configSchema);
  } catch (e) {
    throw fail(ErrorCode.PluginManifestInvalid, ref, manifest.name, `configSchema does not compile: ${(e as Error).message}`);
  }
  if (!validate(value)) {
    const why = (validate.errors ?? [])
      .map((e) => `plugin_config.${manifest.name}${e.instancePath.replaceAll('/', '.')}: ${e.message ?? 'invalid'}`)
      .join('; ');
    throw fail(ErrorCode.PluginConfigInvalid, ref, manifest.name, why);
  }
  return value;
}

/** Orders plugins so each comes after its dependencies (stable otherwise). Throws on a missing dependency or a cycle. */
export function orderByDependencies(plugins: LoadedPlugin[], refOf: (p: LoadedPlugin) => PluginRef): LoadedPlugin[] {
  const byName = new Map(plugins.map((p) => [p.manifest.name, p]));
  const out: LoadedPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: LoadedPlugin, path: string[]): void => {
    const name = p.manifest.name;
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw fail(ErrorCode.PluginDependencyCycle, refOf(p), name, `dependency cycle: ${[...path, name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const dep of p.manifest.dependencies ?? []) {
      const d = byName.get(dep);
      if (!d) throw fail(ErrorCode.PluginDependencyMissing, refOf(p), name, `depends on plugin "${dep}", which is not loaded`);
      visit(d, [...path, name]);
    }
    state.set(name, 'done');
    out.push(p);
  };
  for (const p of plugins) visit(p, []);
  return out;
}

/**
 * Imports, validates and orders plugins. Fails fast: the first bad plugin throws a coded
 * SextantError whose message names the config file, the plugin and the reason. A bad
 * plugin_config.<name> is reported against the files that set it (`pluginConfigSources`, from
 * RuntimeConfig) when known, else against the file that names the plugin.
 */
export async function loadPlugins(
  refs: readonly PluginRef[],
  pluginConfig: Readonly<Record<string, unknown>>,
  pluginConfigSources: Readonly<Record<string, readonly string[]>> = {},
): Promise<LoadedPlugin[]> {
  const configRef = (name: string, ref: PluginRef): PluginRef => {
    const files = pluginConfigSources[name];
    return files && files.length > 0 ? { ...ref, source: files.join(', ') } : ref;
  };
  const loaded: LoadedPlugin[] = [];
  const refs2 = new Map<LoadedPlugin, PluginRef>();
  for (const ref of refs) {
    const { file, manifest } = await importPluginManifest(ref);
    const dup = loaded.find((p) => p.manifest.name === manifest.name);
    if (dup) {
      throw fail(ErrorCode.PluginManifestInvalid, ref, manifest.name, `a plugin of this name is already loaded from ${dup.file}`);
    }
    const cfg = validatePluginConfig(manifest, pluginConfig[manifest.name], configRef(manifest.name, ref));
    const lp: LoadedPlugin = { manifest, file, source: ref.source, pluginConfig: cfg };
    refs2.set(lp, ref);
    loaded.push(lp);
  }
  const known = new Set(loaded.map((p) => p.manifest.name));
  for (const name of Object.keys(pluginConfig)) {
    if (!known.has(name)) {
      const where = pluginConfigSources[name]?.join(', ');
      throw new SextantError(ErrorCode.PluginConfigInvalid, `${where ? `${where}: ` : ''}plugin_config.${name}: no plugin named "${name}" is loaded`, {
        ...(where ? { source: where } : {}),
        plugin: name,
      });
    }
  }
  return orderByDependencies(loaded, (p) => refs2.get(p)!);
}
