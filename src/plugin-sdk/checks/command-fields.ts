import type { CheckDefinition } from '../../../contracts/ports/check-runner.js';

/** True when `def` carries a command: a non-empty `args` list or a non-empty legacy `script`. */
export function hasCommand(def: CheckDefinition): boolean {
  return (Array.isArray(def.args) && def.args.length > 0) || (typeof def.script === 'string' && def.script !== '');
}

/** Returns a reason when `args` / `script` are malformed (wrong types, empty program name). */
export function validateCommandFields(def: CheckDefinition): string | undefined {
  if (def.args !== undefined && def.args !== null) {
    if (!Array.isArray(def.args) || !def.args.every((a) => typeof a === 'string')) return 'args: must be a list of strings';
    if (def.args.length > 0 && def.args[0] === '') return 'args: the first element (the program) must not be empty';
  }
  if (def.script !== undefined && def.script !== null && typeof def.script !== 'string') return 'script: must be a string';
  return undefined;
}

/**
 * The command to run for `def`: `args` as is, or the legacy `script` through `<shell> -c`.
 * Call only when hasCommand(def).
 */
export function commandOf(def: CheckDefinition, shell: string): string[] {
  if (Array.isArray(def.args) && def.args.length > 0) return def.args.map(String);
  return [shell, '-c', String(def.script)];
}
