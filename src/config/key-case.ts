import { ErrorCode } from '../../contracts/errors.js';
import { pointerToken } from './config-problem.js';
import type { ConfigProblem } from './config-problem.js';

/**
 * Consul's key matching in config files. Consul decodes a file with mapstructure, which matches a
 * key to a field case-insensitively (`"Name"`, `"NAME"` and `"name"` all set `name`; `"Check":
 * {"HTTP": ...}` works), and, for check definitions, its `alias` tags translate the CamelCase API
 * spellings of five fields (`ServiceID`, `ScriptArgs`, `DockerContainerID`, `TLSSkipVerify`,
 * `DeregisterCriticalServiceAfter`, any case) to their snake_case keys. Nothing else is
 * translated: `EnableTagOverride` is not `enable_tag_override` and stays an unknown key.
 *
 * foldKeyCase applies exactly that before schema validation, guided by the schema: in every
 * object whose schema lists `properties`, a key that is not a property but equals one ignoring
 * case (or names one of the schema's `sextantAliases`) is renamed to it. Maps of user data
 * (meta, node_meta, header, service_ttl, plugin_config) have no `properties` and keep their keys.
 * Two spellings of one key in one object are an error (which one Consul keeps is not defined).
 * The renames are returned so problems can point at the key as the file spells it.
 */

/** A JSON Schema node, as far as the walk needs it. */
interface SchemaNode {
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
  /** Sextant's annotation: lower-case alias → canonical property (Consul's `alias` tags). */
  readonly sextantAliases?: Readonly<Record<string, string>>;
}

/**
 * How a file spells the keys that were matched case-insensitively: the canonical pointer of each
 * renamed key (`/service/check`) → the key as written (`Check`).
 */
export type KeySpelling = Readonly<Record<string, string>>;

/** The folded value, the renames, and the problems (two spellings of one key) found. */
export interface FoldedKeys {
  readonly value: unknown;
  readonly spelling: KeySpelling;
  readonly problems: readonly ConfigProblem[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits an RFC 6901 pointer into its (escaped) tokens; '' has none. */
function tokens(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/');
}

/**
 * `pointer` (in canonical key spelling) as the file spells it: each renamed key along the path is
 * replaced by the key as written. A pointer that crosses no renamed key is returned unchanged.
 */
export function respellPointer(pointer: string, spelling: KeySpelling | undefined): string {
  if (!spelling || pointer === '') return pointer;
  let canonical = '';
  let out = '';
  for (const t of tokens(pointer)) {
    canonical += `/${t}`;
    const written = spelling[canonical];
    out += `/${written !== undefined ? pointerToken(written) : t}`;
  }
  return out;
}

/** The renames under `prefix`, relative to it (for one definition's own keys). */
export function spellingUnder(spelling: KeySpelling, prefix: string): KeySpelling | undefined {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(spelling)) {
    if (k.startsWith(`${prefix}/`)) (out ??= {})[k.slice(prefix.length)] = v;
  }
  return out;
}

/**
 * Folds the keys of `value` (one parsed config file) to the spelling `schema` (a document of
 * `docs`, by file name) gives them. `value` is not modified.
 */
export function foldKeyCase(value: unknown, schemaFile: string, docs: ReadonlyMap<string, object>, source: string): FoldedKeys {
  const spelling: Record<string, string> = {};
  const problems: ConfigProblem[] = [];

  const resolve = (node: SchemaNode | undefined, doc: string): { node: SchemaNode | undefined; doc: string } => {
    let n = node;
    let d = doc;
    for (let hops = 0; n?.$ref !== undefined && hops < 8; hops++) {
      const ref: string = n.$ref;
      const hash = ref.indexOf('#');
      const file = hash === -1 ? ref : ref.slice(0, hash);
      const frag = hash === -1 ? '' : ref.slice(hash + 1);
      if (file !== '') d = file;
      let target = docs.get(d) as SchemaNode | undefined;
      for (const t of tokens(frag)) target = (target as Record<string, SchemaNode> | undefined)?.[t.replaceAll('~1', '/').replaceAll('~0', '~')];
      n = target;
    }
    return { node: n, doc: d };
  };

  const walk = (v: unknown, schemaNode: SchemaNode | undefined, doc: string, pointer: string): unknown => {
    const { node, doc: d } = resolve(schemaNode, doc);
    if (!node) return v;
    if (Array.isArray(v)) return node.items ? v.map((x, i) => walk(x, node.items, d, `${pointer}/${i}`)) : v;
    if (!isObject(v)) return v;
    const props = node.properties ?? {};
    const extra = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
    const byLower = new Map<string, string>();
    for (const p of Object.keys(props)) byLower.set(p.toLowerCase(), p);
    for (const [alias, p] of Object.entries(node.sextantAliases ?? {})) byLower.set(alias.toLowerCase(), p);
    const out: Record<string, unknown> = {};
    const setBy = new Map<string, string>();
    for (const k of Object.keys(v)) if (Object.hasOwn(props, k)) setBy.set(k, k);
    for (const [k, x] of Object.entries(v)) {
      if (Object.hasOwn(props, k)) {
        out[k] = walk(x, props[k], d, `${pointer}/${pointerToken(k)}`);
        continue;
      }
      const canonical = node.properties ? byLower.get(k.toLowerCase()) : undefined;
      if (canonical === undefined) {
        out[k] = extra ? walk(x, extra, d, `${pointer}/${pointerToken(k)}`) : x;
        continue;
      }
      const other = setBy.get(canonical);
      if (other !== undefined) {
        problems.push({
          code: ErrorCode.ConfigInvalid,
          source,
          pointer: `${respellPointer(pointer, spelling)}/${pointerToken(k)}`,
          message: `duplicate key: ${JSON.stringify(k)} and ${JSON.stringify(other)} both set "${canonical}" (keys match case-insensitively); keep one`,
        });
        continue;
      }
      setBy.set(canonical, k);
      const at = `${pointer}/${pointerToken(canonical)}`;
      spelling[at] = k;
      out[canonical] = walk(x, props[canonical], d, at);
    }
    return out;
  };

  const root = docs.get(schemaFile) as SchemaNode | undefined;
  return { value: walk(value, root, schemaFile, ''), spelling, problems };
}
