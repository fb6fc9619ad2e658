// An example third-party Sextant check kind: `file_exists`. A check passes while the file (or
// directory) exists, and is critical when it is missing — e.g. a maintenance flag, a lock
// file, a mounted volume's marker.
//
// Load it from a config directory and use it like any first-party check:
//   { "plugins": ["./plugins/check-file-exists"],
//     "plugin_config": { "check-file-exists": { "allowed_roots": ["/var/run/app"], "empty_is_warning": true } },
//     "service": { "name": "app", "check": { "file_exists": "/var/run/app/ready", "interval": "5s" } } }
//
// It is plain JavaScript on purpose: this is what a plugin published to npm looks like. Its types
// (JSDoc) come from the plugin SDK, `sextant/plugin-sdk`, the one Sextant module a plugin imports;
// a plugin that also uses the SDK's helpers at runtime declares `sextant` as a peer dependency. It
// implements the CheckRunner port (contracts/ports/check-runner.ts): kind, accepts, validate,
// probe, close.
import { stat } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';

/** @type {import('sextant/plugin-sdk').PluginManifest} */
export default {
  name: 'check-file-exists',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'A "file_exists" check kind: passing while a path exists',
  configSchema: {
    type: 'object',
    properties: {
      // Checks may only look under these directories (absolute paths).
      allowed_roots: { type: 'array', items: { type: 'string', pattern: '^/' }, default: ['/'] },
      // An existing but empty regular file is `warning` instead of `passing`.
      empty_is_warning: { type: 'boolean', default: false },
    },
    additionalProperties: false,
  },
  // The check-definition field this kind adds. Config files (and API registrations) are validated
  // with it: `"file_exists": "relative"` is refused naming the file and JSON pointer, and a typo
  // such as `"file_exist"` stays an unknown key.
  checkFields: {
    file_exists: { type: 'string', pattern: '^/', description: 'The absolute path that must exist for the check to pass.' },
  },
  register(ctx) {
    const cfg = /** @type {{ allowed_roots: string[], empty_is_warning: boolean }} */ (ctx.pluginConfig);
    ctx.provide('checkRunner', 'file_exists', () => new FileExistsCheckRunner(cfg));
  },
};

/** @implements {import('sextant/plugin-sdk').CheckRunner} */
export class FileExistsCheckRunner {
  kind = 'file_exists';

  /** @param {{ allowed_roots?: string[], empty_is_warning?: boolean }} config */
  constructor(config) {
    this.roots = (config.allowed_roots ?? ['/']).map((r) => normalize(r));
    this.emptyIsWarning = config.empty_is_warning ?? false;
  }

  /** True for a definition with a `file_exists` field. */
  accepts(def) {
    return def.file_exists !== undefined && def.file_exists !== null;
  }

  /** Refuses a path that is not an absolute string under one of the allowed roots. */
  validate(def) {
    const p = def.file_exists;
    if (typeof p !== 'string' || p === '') return 'file_exists: must be a non-empty path';
    if (!isAbsolute(p)) return `file_exists: ${JSON.stringify(p)} is not an absolute path`;
    const n = normalize(p);
    const inside = this.roots.some((r) => r === sep || n === r || n.startsWith(r.endsWith(sep) ? r : r + sep));
    if (!inside) return `file_exists: ${JSON.stringify(p)} is outside the allowed roots (${this.roots.join(', ')})`;
    return undefined;
  }

  /** One stat() of the path; never rejects. */
  async probe(def, signal) {
    const p = String(def.file_exists);
    if (signal.aborted) return { status: 'critical', output: 'Check canceled' };
    try {
      const st = await stat(p);
      if (st.isDirectory()) return { status: 'passing', output: `Directory ${p} exists` };
      if (st.size === 0 && this.emptyIsWarning) return { status: 'warning', output: `File ${p} exists but is empty` };
      return { status: 'passing', output: `File ${p} exists (${st.size} bytes)` };
    } catch (e) {
      if (e && e.code === 'ENOENT') return { status: 'critical', output: `File ${p} does not exist` };
      return { status: 'critical', output: `stat ${p}: ${e && e.message ? e.message : String(e)}` };
    }
  }

  /** Nothing to release. */
  async close() {}
}
