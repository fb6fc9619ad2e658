import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The layering rules (DESIGN.md): plugins, first-party and example alike, import only node
// builtins, npm packages, contracts/ and the public plugin SDK (`sextant/plugin-sdk`): never src/
// and never another plugin. contracts/ imports nothing from src/ or plugins/.

const REPO = resolve(import.meta.dirname, '../../..');

const SDK = 'sextant/plugin-sdk';
const SOURCE_EXT = /\.(?:[cm]?[jt]s)$/;
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import … from / export … from (multi-line too)
  /\bimport\s*['"]([^'"]+)['"]/g, // import 'x' (side effects)
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('x'): dynamic, and JSDoc type imports
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** One import that breaks a rule. */
interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

/** Every module specifier `text` imports (static, dynamic, re-exports, JSDoc type imports, require). */
function specifiersOf(text: string): string[] {
  const out = new Set<string>();
  for (const re of SPECIFIERS) for (const m of text.matchAll(re)) out.add(m[1]!);
  return [...out];
}

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return SOURCE_EXT.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** The plugin folder that owns `file` (plugins/<name> or examples/plugins/<name>), if any. */
function pluginRoot(root: string, file: string): string | undefined {
  const rel = relative(root, file).split(sep);
  if (rel[0] === 'plugins' && rel.length > 2) return join(root, 'plugins', rel[1]!);
  if (rel[0] === 'examples' && rel[1] === 'plugins' && rel.length > 3) return join(root, 'examples', 'plugins', rel[2]!);
  return undefined;
}

/** Why `spec`, imported by `file`, breaks the rules; undefined when it is allowed. */
function ruleBroken(root: string, file: string, spec: string): string | undefined {
  const contracts = join(root, 'contracts');
  const ownPlugin = pluginRoot(root, file);
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = resolve(dirname(file), spec);
    if (inside(target, contracts)) return undefined;
    if (ownPlugin) {
      if (inside(target, ownPlugin)) return undefined;
      if (inside(target, join(root, 'src'))) return 'a plugin imports src/ (use sextant/plugin-sdk)';
      if (inside(target, join(root, 'plugins')) || inside(target, join(root, 'examples', 'plugins'))) return 'a plugin imports another plugin';
      return 'a plugin imports outside contracts/ and its own folder';
    }
    return 'contracts/ imports outside contracts/';
  }
  if (isBuiltin(spec)) return undefined;
  if (spec === SDK) return ownPlugin ? undefined : 'contracts/ imports the plugin SDK';
  if (spec === 'sextant' || spec.startsWith('sextant/')) return `only ${SDK} is public`;
  return undefined; // an npm package
}

/** Every rule-breaking import in plugins/, examples/plugins/ and contracts/ under `root`. */
function importViolations(root: string): Violation[] {
  const files = [join(root, 'plugins'), join(root, 'examples', 'plugins'), join(root, 'contracts')].flatMap(sourceFiles);
  const out: Violation[] = [];
  for (const file of files) {
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      const reason = ruleBroken(root, file, specifier);
      if (reason) out.push({ file: relative(root, file).split(sep).join('/'), specifier, reason });
    }
  }
  return out;
}

/** One line per violation: `file: import 'specifier' (reason)`. */
function report(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.file}: import '${v.specifier}' (${v.reason})`);
}

describe('import rules', () => {
  it('plugins and example plugins import only builtins, npm packages, contracts/ and sextant/plugin-sdk; contracts/ only itself', () => {
    expect(report(importViolations(REPO))).toEqual([]);
  });

  describe('the scan itself', () => {
    let root: string | undefined;
    afterEach(() => {
      if (root) rmSync(root, { recursive: true, force: true });
      root = undefined;
    });

    function tree(files: Record<string, string>): string {
      root = mkdtempSync(join(tmpdir(), 'sextant-imports-'));
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, rel)), { recursive: true });
        writeFileSync(join(root, rel), text);
      }
      return root;
    }

    it('names the file and the import of every broken rule, in every import form', () => {
      const r = tree({
        'contracts/errors.ts': "export const x = 1;\n",
        'contracts/bad.ts': "import { y } from '../src/kernel/y.js';\nexport type T = import('../plugins/a/index.js').T;\n",
        'plugins/a/index.ts': [
          "import { readFile } from 'node:fs/promises';",
          "import { createHash } from 'crypto';",
          "import Koa from 'koa';",
          "import { ErrorCode } from '../../contracts/errors.js';",
          "import { durationMs } from 'sextant/plugin-sdk';",
          "import { helper } from './helper.js';",
          'import {',
          '  ClosedGuard,',
          "} from '../../src/platform/closed-guard.js';",
          "export { probe } from '../b/probe.js';",
          "const lazy = await import('../../src/config/go-duration.js');",
          "import 'sextant/dist/src/cli/main.js';",
        ].join('\n'),
        'plugins/a/helper.ts': 'export const helper = 1;\n',
        'examples/plugins/c/index.js': "/** @type {import('../../../src/kernel/agent.js').Agent} */\nconst fs = require('../../../plugins/a/helper.js');\n",
      });
      expect(report(importViolations(r)).sort()).toEqual(
        [
          "contracts/bad.ts: import '../src/kernel/y.js' (contracts/ imports outside contracts/)",
          "contracts/bad.ts: import '../plugins/a/index.js' (contracts/ imports outside contracts/)",
          "plugins/a/index.ts: import '../../src/platform/closed-guard.js' (a plugin imports src/ (use sextant/plugin-sdk))",
          "plugins/a/index.ts: import '../b/probe.js' (a plugin imports another plugin)",
          "plugins/a/index.ts: import '../../src/config/go-duration.js' (a plugin imports src/ (use sextant/plugin-sdk))",
          "plugins/a/index.ts: import 'sextant/dist/src/cli/main.js' (only sextant/plugin-sdk is public)",
          "examples/plugins/c/index.js: import '../../../src/kernel/agent.js' (a plugin imports src/ (use sextant/plugin-sdk))",
          "examples/plugins/c/index.js: import '../../../plugins/a/helper.js' (a plugin imports another plugin)",
        ].sort(),
      );
    });
  });
});
