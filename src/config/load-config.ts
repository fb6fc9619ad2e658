import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { hostname as osHostname, networkInterfaces as osNetworkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { ErrorCode } from '../../contracts/errors.js';
import type { ConfigOrigin, RuntimeConfig } from '../../contracts/runtime-config.js';
import { buildRuntimeConfig } from './build-runtime-config.js';
import type { PluginEntry } from './build-runtime-config.js';
import { builtinDefaults, devDefaults } from './config-defaults.js';
import { configProblemsError } from './config-problem.js';
import type { ConfigProblem } from './config-problem.js';
import { foldConfigKeys, validateAgainstSchema } from './config-schema.js';
import type { CheckFieldSchemas } from './config-schema.js';
import { parseJsonText } from './json-source.js';
import { respellPointer, spellingUnder } from './key-case.js';
import { foldedPointers, foldSingulars, mergeUserConfig } from './merge-config.js';
import type { UserConfig } from './merge-config.js';

/**
 * Loading the agent configuration: built-in defaults < (-dev defaults) < config files in load
 * order < CLI flags, each file parsed and schema-validated on its own so that every problem names
 * its file and JSON pointer, then merged and turned into the frozen RuntimeConfig.
 */

/** The label used as `source` for problems in the CLI-flag overrides. */
export const COMMAND_LINE_SOURCE = 'command line';

/** What the CLI contributes to configuration (produced by src/cli/agent-flags.ts). */
export interface ConfigFlags {
  /** -dev: dev defaults, data_dir optional. */
  readonly dev: boolean;
  /** -config-file / -config-dir values in command-line order; each may be a file or a directory. */
  readonly configPaths: readonly string[];
  /** -config-format: '' (by extension), 'json', or 'hcl' (refused). */
  readonly configFormat: string;
  /** Values given by flags, in the user (snake_case) shape; merged last. */
  readonly overrides: Readonly<UserConfig>;
}

/** Input of loadConfig: the flags, plus host facts that tests may pin. */
export interface LoadConfigInput {
  readonly flags: ConfigFlags;
  /** Default node name; os.hostname() when absent. */
  readonly hostname?: string;
  /** Used only when bind_addr is 0.0.0.0/:: and advertise_addr is unset; os.networkInterfaces() when absent. */
  readonly networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** `sextant validate`: check the files without requiring what only a running agent needs (data_dir). */
  readonly validateOnly?: boolean;
  /**
   * Check-definition fields the loaded plugins' check kinds add (PluginManifest.checkFields,
   * merged): accepted in every check definition and validated with their schemas.
   */
  readonly checkFields?: CheckFieldSchemas;
}

/** A successfully loaded configuration and the non-fatal notes about it. */
export interface LoadedConfig {
  readonly config: RuntimeConfig;
  readonly warnings: readonly string[];
}

/** A config path entry in load order: a file to read, or a problem found while selecting (kept in order). */
type FileEntry = { readonly path: string; readonly problem?: undefined } | { readonly path?: undefined; readonly problem: ConfigProblem };

const HCL_HINT = 'HCL configuration is not supported: Sextant reads JSON only. Convert it to JSON (same keys; blocks become objects, e.g. ports { http = 8500 } becomes "ports": {"http": 8500}) and name the file *.json';

/** Expands the -config-file/-config-dir paths into the ordered list of files to read. */
async function selectFiles(paths: readonly string[], format: string, warnings: string[]): Promise<FileEntry[]> {
  const files: FileEntry[] = [];
  const consider = (path: string, fromDir: boolean): void => {
    const ext = extname(path);
    const fmt = format || (ext === '.json' ? 'json' : ext === '.hcl' ? 'hcl' : '');
    if (fmt === 'json') files.push({ path });
    else if (fmt === 'hcl') files.push({ problem: { code: ErrorCode.ConfigUnsupportedFormat, source: path, message: HCL_HINT } });
    else if (fromDir) warnings.push(`skipping file ${path}, extension must be .hcl or .json, or config format must be set`);
    else files.push({ problem: { code: ErrorCode.ConfigInvalid, source: path, message: `Missing or invalid file extension for ${JSON.stringify(path)}. Please use .json` } });
  };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      files.push({ problem: { code: ErrorCode.ConfigInvalid, source: p, message: await symlinkProblem(p, e as NodeJS.ErrnoException) } });
      continue;
    }
    if (!st.isDirectory()) {
      consider(p, false);
      continue;
    }
    const names = (await readdir(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const fp = join(p, name);
      let s;
      try {
        s = await stat(fp);
      } catch (e) {
        // A dangling symlink or a symlink loop in a config directory is an error, as in Consul
        // (builder.go resolves every symlink with EvalSymlinks and fails on its error).
        files.push({ problem: { code: ErrorCode.ConfigInvalid, source: fp, message: await symlinkProblem(fp, e as NodeJS.ErrnoException) } });
        continue;
      }
      if (s.isDirectory()) continue;
      consider(fp, true);
    }
  }
  return files;
}

/** Why `path` cannot be read: a symlink loop, a dangling symlink (naming its target), or no such file. */
async function symlinkProblem(path: string, e: NodeJS.ErrnoException): Promise<string> {
  if (e.code === 'ELOOP') return 'cannot read: symlink loop (too many levels of symbolic links)';
  if (e.code === 'ENOENT') {
    const target = await readlink(path).catch(() => undefined);
    return target === undefined ? 'cannot read: no such file or directory' : `cannot read: dangling symlink to ${target}: no such file or directory`;
  }
  return `cannot read: ${e.message}`;
}

/** Reads and parses one file; returns its JSON value, or undefined with a problem added. */
async function parseConfigFile(path: string, problems: ConfigProblem[]): Promise<{ value: unknown } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    problems.push({ code: ErrorCode.ConfigInvalid, source: path, message: `cannot read: ${(e as Error).message}` });
    return undefined;
  }
  const parsed = parseJsonText(text);
  if (parsed.error) {
    const { line, column, message } = parsed.error;
    problems.push({ code: ErrorCode.ConfigParse, source: path, line, column, message: `invalid JSON: ${message}` });
    return undefined;
  }
  return { value: parsed.value };
}

/** One validated file: its fragment (service/check folded) and where each folded definition sits in it. */
interface FileFragment {
  readonly frag: UserConfig;
  readonly serviceOrigins: ConfigOrigin[];
  readonly checkOrigins: ConfigOrigin[];
}

/** Reads, parses and validates one file; returns its fragment or undefined with problems added. */
async function readConfigFile(path: string, problems: ConfigProblem[], checkFields: CheckFieldSchemas | undefined): Promise<FileFragment | undefined> {
  const parsed = await parseConfigFile(path, problems);
  if (!parsed) return undefined;
  const opts = checkFields ? { checkFields } : {};
  // Consul matches config keys case-insensitively: fold them first, then report every problem
  // at the key as the file spells it.
  const folded = foldConfigKeys('agent-config', parsed.value, path, opts);
  const found = [
    ...folded.problems,
    ...validateAgainstSchema('agent-config', folded.value, path, opts).map((p) =>
      p.pointer === undefined ? p : { ...p, pointer: respellPointer(p.pointer, folded.spelling) },
    ),
  ];
  if (found.length > 0) {
    problems.push(...found);
    return undefined;
  }
  const file = folded.value as UserConfig;
  const at = (pointer: string): ConfigOrigin => {
    const keys = spellingUnder(folded.spelling, pointer);
    return { source: path, pointer: respellPointer(pointer, folded.spelling), ...(keys ? { keys } : {}) };
  };
  return {
    frag: foldSingulars(file),
    serviceOrigins: foldedPointers(file, 'service', 'services').map(at),
    checkOrigins: foldedPointers(file, 'check', 'checks').map(at),
  };
}

/**
 * The `plugins` entries of one file's JSON value, each relative to the file's directory and
 * naming the file as its source. Entries that are not strings are skipped (schema validation
 * reports them).
 */
function pluginEntriesOf(value: unknown, path: string): PluginEntry[] {
  const list = typeof value === 'object' && value !== null ? (value as { plugins?: unknown }).plugins : undefined;
  if (!Array.isArray(list)) return [];
  const baseDir = resolve(dirname(path));
  return list.filter((spec): spec is string => typeof spec === 'string').map((spec) => ({ spec, baseDir, source: path }));
}

/**
 * The pre-pass before validation: the `plugins` entries of the files `input.flags` names, in
 * load order and with the same baseDir/source as the full load gives them, so that the plugins'
 * check fields can be learnt before the files are validated. Only reads and parses (no schema
 * validation); a file that cannot be read or parsed is skipped, and a bad -config-format gives
 * nothing: the full load reports every such problem. Never throws for configuration problems.
 */
export async function collectPluginEntries(input: Pick<LoadConfigInput, 'flags'>): Promise<PluginEntry[]> {
  const { flags } = input;
  if (flags.configFormat !== '' && flags.configFormat !== 'json') return [];
  const ignored: ConfigProblem[] = [];
  const entries: PluginEntry[] = [];
  for (const f of await selectFiles(flags.configPaths, flags.configFormat, [])) {
    if (f.problem) continue;
    const parsed = await parseConfigFile(f.path, ignored);
    // `Plugins` counts as `plugins`, as the full load folds key case.
    if (parsed) entries.push(...pluginEntriesOf(foldConfigKeys('agent-config', parsed.value, f.path).value, f.path));
  }
  return entries;
}

/** Everything one load produced, before deciding between throwing and returning. */
interface LoadOutcome {
  readonly loaded?: LoadedConfig;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly string[];
}

async function load(input: LoadConfigInput): Promise<LoadOutcome> {
  const { flags } = input;
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  if (flags.configFormat !== '' && flags.configFormat !== 'json' && flags.configFormat !== 'hcl') {
    problems.push({ code: ErrorCode.ConfigInvalid, message: "-config-format must be either 'hcl' or 'json'" });
    return { problems, warnings };
  }
  if (flags.configFormat === 'hcl') {
    problems.push({ code: ErrorCode.ConfigUnsupportedFormat, source: '-config-format=hcl', message: HCL_HINT });
    return { problems, warnings };
  }
  let merged = builtinDefaults(input.hostname ?? osHostname());
  if (flags.dev) merged = mergeUserConfig(merged, devDefaults());
  const plugins: PluginEntry[] = [];
  const sources: string[] = [];
  const serviceOrigins: ConfigOrigin[] = [];
  const checkOrigins: ConfigOrigin[] = [];
  const pluginConfigSources: Record<string, string[]> = {};
  for (const f of await selectFiles(flags.configPaths, flags.configFormat, warnings)) {
    if (f.problem) {
      problems.push(f.problem);
      continue;
    }
    const read = await readConfigFile(f.path, problems, input.checkFields);
    if (!read) continue;
    const { frag } = read;
    // Lists append in load order, so the merged services/checks line up with these origins.
    serviceOrigins.push(...read.serviceOrigins);
    checkOrigins.push(...read.checkOrigins);
    sources.push(f.path);
    plugins.push(...pluginEntriesOf(frag, f.path));
    delete frag.plugins;
    for (const name of Object.keys((frag.plugin_config as Record<string, unknown> | undefined) ?? {})) {
      (pluginConfigSources[name] ??= []).push(f.path);
    }
    merged = mergeUserConfig(merged, frag);
  }
  const overrideProblems = validateAgainstSchema('agent-config', flags.overrides, COMMAND_LINE_SOURCE, input.checkFields ? { checkFields: input.checkFields } : {});
  problems.push(...overrideProblems);
  if (problems.length > 0) return { problems, warnings };
  merged = mergeUserConfig(merged, foldSingulars({ ...flags.overrides }));
  const built = buildRuntimeConfig(merged, {
    dev: flags.dev,
    requireDataDir: !input.validateOnly,
    plugins,
    sources,
    serviceOrigins,
    checkOrigins,
    pluginConfigSources,
    networkInterfaces: input.networkInterfaces ?? osNetworkInterfaces,
  });
  if (built.problems) return { problems: built.problems, warnings };
  warnings.push(...built.warnings);
  return { loaded: { config: built.config, warnings }, problems: [], warnings };
}

/**
 * Loads the agent configuration. Deterministic: the same flags and file contents give a deeply
 * equal config, so reload is simply calling it again (and keeping the old config if it throws).
 * Throws SextantError (code of the first problem: CONFIG_INVALID, CONFIG_PARSE,
 * CONFIG_UNSUPPORTED_FORMAT or DURATION_INVALID) listing every problem one per line as
 * `file: /pointer: message` or `file:line:col: message`; `details.problems` has them structured.
 */
export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const out = await load(input);
  if (!out.loaded) throw configProblemsError(out.problems);
  return out.loaded;
}

/** loadConfig without the warnings: the frozen RuntimeConfig. */
export async function loadRuntimeConfig(input: LoadConfigInput): Promise<RuntimeConfig> {
  return (await loadConfig(input)).config;
}

/** The result of `sextant validate`: the config when valid, else every problem. */
export type ValidationResult =
  | { readonly ok: true; readonly config: RuntimeConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly warnings: readonly string[] };

/**
 * For `sextant validate PATH...`: loads the given files/directories as an agent would without
 * other flags (so data_dir must be set unless `dev`), never throwing for configuration problems.
 * Pass the plugins' `checkFields` (see collectPluginEntries over validateFlags(paths)) so that
 * their check kinds' fields are accepted.
 */
export async function validateConfigDirs(
  paths: readonly string[],
  opts: { configFormat?: string; dev?: boolean; hostname?: string; checkFields?: CheckFieldSchemas } = {},
): Promise<ValidationResult> {
  const out = await load({
    flags: validateFlags(paths, opts),
    validateOnly: true,
    ...(opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
    ...(opts.checkFields !== undefined ? { checkFields: opts.checkFields } : {}),
  });
  if (out.loaded) return { ok: true, config: out.loaded.config, warnings: out.loaded.warnings };
  return { ok: false, problems: out.problems, warnings: out.warnings };
}

/** The flags `sextant validate PATH...` loads with (no overrides). */
export function validateFlags(paths: readonly string[], opts: { configFormat?: string; dev?: boolean } = {}): ConfigFlags {
  return { dev: opts.dev ?? false, configPaths: paths, configFormat: opts.configFormat ?? '', overrides: {} };
}

