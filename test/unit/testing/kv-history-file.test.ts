import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Operation } from '../../../src/testing/linearizability/history.js';
import type { KvInput, KvOutput } from '../../../src/testing/linearizability/kv-model.js';
import { REPO_ROOT } from '../../support/agent-process.js';
import { loadKvHistory, recheckKvHistory, saveKvHistory } from '../../support/kv-history-file.js';

/** A history the cluster e2e test saves on failure replays to the same verdict (lost answers stay unknown). */

type Op = Operation<KvInput, KvOutput>;

/** Runs the replay script on `file` as a user does: exit code and stdout. */
function replay(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join('test', 'support', 'replay-kv-history.ts'), file], { cwd: REPO_ROOT }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('saved KV histories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-kv-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // An unknown put of "b" explains the later read of "b": linearizable only while the lost answer stays unknown.
  const ok: Op[] = [
    { clientId: 1, input: { op: 'put', key: 'k', value: 'a' }, call: 0, return: 1, output: { ok: true } },
    { clientId: 2, input: { op: 'put', key: 'k', value: 'b' }, call: 2, return: Infinity, output: undefined },
    { clientId: 3, input: { op: 'get', key: 'k' }, call: 5, return: 6, output: { value: 'b' } },
  ];
  const bad: Op[] = [...ok.slice(0, 2), { clientId: 3, input: { op: 'get', key: 'k' }, call: 5, return: 6, output: { value: null } }];

  it('round-trips operations with unknown outcomes and re-checks them', () => {
    const file = saveKvHistory(join(dir, 'sub', 'ok.json'), ok, { seed: 7 });
    const back = loadKvHistory(file);
    expect(back.meta).toEqual({ seed: 7 });
    expect(back.ops).toEqual(ok);
    expect(recheckKvHistory(file).result).toBe('ok');
    expect(recheckKvHistory(saveKvHistory(join(dir, 'bad.json'), bad)).result).toBe('illegal');
  });

  it('the replay script exits 0 for a linearizable history and 1, with the explanation, for one that is not', async () => {
    const good = await replay(saveKvHistory(join(dir, 'ok2.json'), ok));
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('result: ok');
    const no = await replay(saveKvHistory(join(dir, 'bad2.json'), bad));
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('result: illegal');
    expect(no.stdout).toContain('get(k) → null');
  });
});
