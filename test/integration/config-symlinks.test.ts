import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentFlags } from '../../src/cli/agent-flags.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { loadAgentConfig } from '../../src/kernel/load-agent-config.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { runCommand } from '../support/run-command.js';

/** A config directory holding a dangling symlink or a symlink loop: an error naming it at start, on reload and in validate, as in Consul. */

const root = mkdtempSync(join(tmpdir(), 'sextant-symlinks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function configDir(name: string, link: (dir: string) => void): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'base.json'), JSON.stringify({ node_name: 'sym' }));
  link(dir);
  return dir;
}
async function loadError(dir: string): Promise<string | undefined> {
  return loadAgentConfig({ flags: parseAgentFlags(['-dev', '-config-dir', dir]) }).then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );
}

async function validate(dir: string): Promise<{ code: number; out: string }> {
  const r = await runCommand(validateCommand, [dir], {});
  return { code: r.code, out: r.stdout + r.stderr };
}

describe('symlinks in a config directory', () => {
  it('a dangling symlink is an error naming the link and its target, at start and in validate', async () => {
    const dir = configDir('dangling', (d) => symlinkSync(join(d, 'gone.json'), join(d, 'svc.json')));
    const err = await loadError(dir);
    expect(err).toContain(join(dir, 'svc.json'));
    expect(err).toContain(`dangling symlink to ${join(dir, 'gone.json')}`);
    const v = await validate(dir);
    expect(v.code).toBe(1);
    expect(v.out).toContain(join(dir, 'svc.json'));
  });

  it('a symlink loop is an error naming the link, at start and in validate', async () => {
    const dir = configDir('loop', (d) => {
      symlinkSync(join(d, 'b.json'), join(d, 'a.json'));
      symlinkSync(join(d, 'a.json'), join(d, 'b.json'));
    });
    const err = await loadError(dir);
    expect(err).toContain(join(dir, 'a.json'));
    expect(err).toContain('symlink loop');
    expect((await validate(dir)).code).toBe(1);
  });

  it('on reload the running configuration is kept and the reload refused, naming the link', async () => {
    const dir = configDir('reload', () => undefined);
    const { agent } = await startInProcessAgent(['-dev', '-config-dir', dir]);
    try {
      symlinkSync(join(dir, 'nowhere.json'), join(dir, 'late.json'));
      await expect(agent.reload()).rejects.toThrow(join(dir, 'late.json'));
      unlinkSync(join(dir, 'late.json'));
      await expect(agent.reload()).resolves.toBeUndefined();
    } finally {
      await agent.stop();
    }
  });
});
