import AjvModule from 'ajv';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { PluginManifest } from '../../contracts/plugin.js';
import type { CheckFieldSchemas } from '../config/config-schema.js';
import { FIRST_PARTY_PLUGINS, firstPartyPluginPath } from './first-party-plugins.js';
import { packageRoot } from './package-root.js';
import { importPluginManifest } from './plugin-loader.js';
import type { PluginRef } from './plugin-loader.js';

const Ajv = AjvModule.default ?? AjvModule;

/**
 * The check-definition fields plugins add (PluginManifest.checkFields), learnt before the
 * configuration is validated so that a config file may use a plugin's check kind and a typo in
 * it is still an error.
 */

/** Every plugin an agent loads for these config entries: the first-party ones, then the config's. */
export function agentPluginRefs(entries: readonly PluginRef[]): PluginRef[] {
  const root = packageRoot();
  return [
    ...FIRST_PARTY_PLUGINS.map((name) => ({ spec: firstPartyPluginPath(name), baseDir: root, source: 'first-party' })),
    ...entries.map((p) => ({ spec: p.spec, baseDir: p.baseDir, source: p.source })),
  ];
}

/**
 * Merges the `checkFields` of plugins in load order. A field declared by two plugins throws
 * PLUGIN_MANIFEST_INVALID naming both (and the config files that load them); a field schema that
 * ajv cannot compile throws PLUGIN_MANIFEST_INVALID naming the plugin.
 */
export function mergeCheckFields(plugins: readonly { readonly manifest: PluginManifest; readonly source: string }[]): Record<string, Readonly<Record<string, unknown>>> {
  const out: Record<string, Readonly<Record<string, unknown>>> = {};
  const owner = new Map<string, { readonly manifest: PluginManifest; readonly source: string }>();
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addKeyword('sextantFormat');
  for (const p of plugins) {
    for (const [field, schema] of Object.entries(p.manifest.checkFields ?? {})) {
      const prev = owner.get(field);
      if (prev) {
        throw new SextantError(
          ErrorCode.PluginManifestInvalid,
          `${p.source}: plugin ${p.manifest.name}: check field "${field}" is already declared by plugin ${prev.manifest.name} (${prev.source})`,
          { source: p.source, plugin: p.manifest.name, field, other: prev.manifest.name },
        );
      }
      try {
        ajv.compile(schema);
      } catch (e) {
        throw new SextantError(
          ErrorCode.PluginManifestInvalid,
          `${p.source}: plugin ${p.manifest.name}: checkFields.${field} does not compile: ${(e as Error).message}`,
          { source: p.source, plugin: p.manifest.name, field },
        );
      }
      owner.set(field, p);
      out[field] = schema;
    }
  }
  return out;
}

/**
 * Resolves and imports each plugin module with the plugin loader's resolvePluginFile and
 * validateManifest (no `register` calls), and
 * returns the merged `checkFields` of all of them. Throws the plugin loader's coded errors
 * (PLUGIN_NOT_FOUND, PLUGIN_MANIFEST_INVALID, PLUGIN_KERNEL_MISMATCH) and mergeCheckFields'.
 * A plugin name seen twice is taken once (loading reports the duplicate).
 */
export async function pluginCheckFields(entries: readonly PluginRef[]): Promise<CheckFieldSchemas> {
  const manifests: { manifest: PluginManifest; source: string }[] = [];
  const seen = new Set<string>();
  for (const ref of entries) {
    const { manifest } = await importPluginManifest(ref);
    if (seen.has(manifest.name)) continue;
    seen.add(manifest.name);
    manifests.push({ manifest, source: ref.source });
  }
  return mergeCheckFields(manifests);
}
