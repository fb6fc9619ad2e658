import { ErrorCode, SextantError } from '../../contracts/errors.js';

/**
 * One thing wrong with the configuration, located as precisely as we know: the file (or
 * `command line`), and a JSON pointer into it or a line:column for syntax errors.
 */
export interface ConfigProblem {
  /** CONFIG_INVALID, CONFIG_PARSE, CONFIG_UNSUPPORTED_FORMAT or DURATION_INVALID. */
  readonly code: ErrorCode;
  /** The file as named on the command line (joined with the directory), or undefined for whole-config rules. */
  readonly source?: string;
  /** JSON pointer into the file ('' is the document itself). */
  readonly pointer?: string;
  /** 1-based position for JSON syntax errors. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** `file: /ptr: message`, `file:3:7: message`, `file: message` or `message`. */
export function formatConfigProblem(p: ConfigProblem): string {
  let where = p.source ?? '';
  if (p.source !== undefined && p.line !== undefined) where += `:${p.line}:${p.column ?? 1}`;
  const parts: string[] = [];
  if (where) parts.push(where);
  if (p.pointer !== undefined) parts.push(p.pointer === '' ? '(root)' : p.pointer);
  parts.push(p.message);
  return parts.join(': ');
}

/**
 * A SextantError carrying every problem: the message lists them one per line; `details.problems`
 * holds them structured. The code is the first problem's.
 */
export function configProblemsError(problems: readonly ConfigProblem[]): SextantError {
  const code = problems[0]?.code ?? ErrorCode.ConfigInvalid;
  return new SextantError(code, problems.map(formatConfigProblem).join('\n'), { problems: [...problems] });
}

/** Escapes one JSON-pointer reference token (RFC 6901). */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
