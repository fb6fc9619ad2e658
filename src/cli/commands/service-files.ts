import { readFile } from 'node:fs/promises';
import { jsonDepthProblem } from '../../plugin-sdk/json-depth.js';

/**
 * Reads service definitions from agent-config-style JSON files (Consul's ServicesFromFiles):
 * each file holds `service` (one object) and/or `services` (a list), keys in any case. Throws
 * an Error naming the file when it cannot be read, is not JSON (or nests deeper than
 * MAX_JSON_DEPTH), or holds no service.
 */
export async function servicesFromFiles(files: readonly string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      const text = await readFile(file, 'utf8');
      const tooDeep = jsonDepthProblem(text);
      if (tooDeep) throw new Error(tooDeep);
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`Error loading ${file}: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`Error loading ${file}: expected a JSON object`);
    const found: Record<string, unknown>[] = [];
    for (const [k, v] of Object.entries(parsed)) {
      const key = k.toLowerCase();
      if (key === 'service' && typeof v === 'object' && v !== null && !Array.isArray(v)) found.push(v as Record<string, unknown>);
      else if (key === 'services' && Array.isArray(v)) {
        for (const s of v) if (typeof s === 'object' && s !== null && !Array.isArray(s)) found.push(s as Record<string, unknown>);
      }
    }
    if (found.length === 0) throw new Error(`Error loading ${file}: no service definitions found ("service" or "services")`);
    out.push(...found);
  }
  return out;
}

/** The id of a definition as the agent will store it: `id`/`ID` (any case), else the name. */
export function serviceIdOf(def: Record<string, unknown>): string {
  let id = '';
  let name = '';
  for (const [k, v] of Object.entries(def)) {
    if (typeof v !== 'string') continue;
    if (k.toLowerCase() === 'id') id = v;
    else if (k.toLowerCase() === 'name') name = v;
  }
  return id || name;
}

/** The name of a definition (`name`/`Name`, any case), or ''. */
export function serviceNameOf(def: Record<string, unknown>): string {
  for (const [k, v] of Object.entries(def)) if (k.toLowerCase() === 'name' && typeof v === 'string') return v;
  return '';
}
