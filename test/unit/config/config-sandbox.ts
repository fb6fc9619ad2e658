import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temporary directory per test, made the working directory, to write config files into. */
export interface ConfigSandbox {
  /** The current test's directory (absolute). */
  root(): string;
  /** Writes `content` (a string as is, anything else as indented JSON) to `rel`, creating its parents; returns `rel`. */
  write(rel: string, content: unknown): string;
}

/**
 * Registers beforeEach/afterEach hooks that give every test of the file its own directory and
 * chdir into it, so that paths in error messages are the short relative ones a user types.
 */
export function useConfigSandbox(prefix: string): ConfigSandbox {
  let root = '';
  let cwd = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
    cwd = process.cwd();
    process.chdir(root);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(root, { recursive: true, force: true });
  });
  return {
    root: () => root,
    write(rel, content) {
      const p = join(root, rel);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return rel;
    },
  };
}
