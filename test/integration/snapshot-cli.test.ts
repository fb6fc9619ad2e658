import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotInspectCommand } from '../../src/cli/commands/snapshot-inspect.js';
import { snapshotRestoreCommand } from '../../src/cli/commands/snapshot-restore.js';
import { snapshotSaveCommand } from '../../src/cli/commands/snapshot-save.js';
import type { Agent } from '../../src/kernel/agent.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { runCommand } from '../support/run-command.js';

// Issue 14: `sextant snapshot save|restore|inspect FILE` against an agent.

const running: Agent[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sextant-snapshot-cli-'));
  dirs.push(d);
  return d;
}

describe('sextant snapshot', () => {
  it('saves (verified), inspects offline and restores', async () => {
    const { agent, http } = await startInProcessAgent(['-dev']);
    running.push(agent);
    const env = { SEXTANT_HTTP_ADDR: http };
    expect((await fetch(`${http}/v1/kv/app/config`, { method: 'PUT', body: 'v1' })).status).toBe(200);
    const file = join(tempDir(), 'backup.snap');

    const saved = await runCommand(snapshotSaveCommand, [file], env);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    const index = /^Saved and verified snapshot to index (\d+)\n$/.exec(saved.stdout)?.[1];
    expect(Number(index)).toBeGreaterThan(0);
    expect(existsSync(`${file}.unverified`)).toBe(false);

    const inspected = await runCommand(snapshotInspectCommand, [file], {});
    expect(inspected.code).toBe(0);
    const lines = inspected.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['ID', 'Size', 'Index', 'Term', 'Version']);
    expect(lines[2]).toBe(`Index        ${index}`);
    expect(lines[4]).toBe('Version      1');

    expect((await fetch(`${http}/v1/kv/app/config`, { method: 'DELETE' })).status).toBe(200);
    const restored = await runCommand(snapshotRestoreCommand, [file], env);
    expect(restored).toEqual({ code: 0, stdout: 'Restored snapshot\n', stderr: '' });
    expect(await (await fetch(`${http}/v1/kv/app/config?raw`)).text()).toBe('v1');
  });

  it('refuses a corrupted file in inspect and restore with Consul\'s texts', async () => {
    const { agent, http } = await startInProcessAgent(['-dev']);
    running.push(agent);
    const env = { SEXTANT_HTTP_ADDR: http };
    const file = join(tempDir(), 'backup.snap');
    expect((await runCommand(snapshotSaveCommand, [file], env)).code).toBe(0);
    const tar = gunzipSync(readFileSync(file));
    tar[512 * 3 + 5] ^= 0xff; // a byte of state.bin
    writeFileSync(file, gzipSync(tar));

    const inspected = await runCommand(snapshotInspectCommand, [file], {});
    expect(inspected.code).toBe(1);
    expect(inspected.stderr).toBe('Error extracting snapshot data: failed checking integrity of snapshot: hash check failed for "state.bin"\n');
    const restored = await runCommand(snapshotRestoreCommand, [file], env);
    expect(restored.code).toBe(1);
    expect(restored.stderr).toBe('Error restoring snapshot: Unexpected response code: 500 (failed checking integrity of snapshot: hash check failed for "state.bin")\n');
  });

  it('wants exactly one FILE argument', async () => {
    expect(await runCommand(snapshotInspectCommand, [], {})).toEqual({ code: 1, stdout: '', stderr: 'Missing FILE argument\n' });
    expect(await runCommand(snapshotSaveCommand, ['a', 'b'], {})).toEqual({ code: 1, stdout: '', stderr: 'Too many arguments (expected 1, got 2)\n' });
  });
});
