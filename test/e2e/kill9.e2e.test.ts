import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import { startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

const ROUNDS = Number(process.env.KILL9_ROUNDS ?? 10);

function put(agent: http.Agent, base: string, key: string, value: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(`/v1/kv/${key}`, base);
    const r = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'PUT' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(value);
  });
}

/**
 * An acknowledged write survives kill -9: writers hammer the agent, the agent is SIGKILLed at a
 * random moment, restarted on the same data directory, and every key whose PUT answered `true`
 * must be there with the acknowledged value (or a later one). A low snapshot threshold makes
 * the agent snapshot and compact its log many times a round, so kills also land in a snapshot
 * write or a compaction, and restarts restore snapshot + log tail.
 */
describe('kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-kill9-'));
  /** Every agent started, so a failed assertion mid-round does not leave one running. */
  const started: AgentProcess[] = [];
  afterAll(async () => {
    for (const a of started) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loses no acknowledged write over ${ROUNDS} kills`, async () => {
    const raftConf = join(dir, 'raft.json');
    writeFileSync(raftConf, JSON.stringify({ raft_snapshot_threshold: 200, raft_snapshot_interval: "100ms", raft_trailing_logs: 50 }));
    const args = ['-dev', '-data-dir', join(dir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'warn', '-config-file', raftConf];
    const acked = new Map<string, number>();
    let seq = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const agent = await startAgent(args);
      started.push(agent);
      // Everything acknowledged before this kill must be here now.
      for (const [key, value] of acked) {
        const res = await fetch(`${agent.httpAddr}/v1/kv/${key}?raw`);
        expect(res.status, `round ${round}: ${key} missing`).toBe(200);
        expect(Number(await res.text()), `round ${round}: ${key}`).toBeGreaterThanOrEqual(value);
      }
      const pool = new http.Agent({ keepAlive: true, maxSockets: 16 });
      let stop = false;
      const writers = Array.from({ length: 16 }, async (_, w) => {
        while (!stop) {
          const key = `crash/w${w}/k${seq % 50}`;
          const value = ++seq;
          try {
            if ((await put(pool, agent.httpAddr, key, String(value))).trim() === 'true') {
              acked.set(key, Math.max(acked.get(key) ?? 0, value));
            }
          } catch {
            return; // the agent died under us: this write was not acknowledged
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 400)));
      await agent.kill9();
      stop = true;
      await Promise.all(writers);
      pool.destroy();
    }
    expect(acked.size).toBeGreaterThan(0);
    const agent = await startAgent(args);
    started.push(agent);
    try {
      const res = await fetch(`${agent.httpAddr}/v1/kv/crash/?recurse`);
      const stored = new Map(((await res.json()) as { Key: string; Value: string }[]).map((e) => [e.Key, Number(Buffer.from(e.Value, 'base64').toString())]));
      for (const [key, value] of acked) expect(stored.get(key), key).toBeGreaterThanOrEqual(value);
    } finally {
      await agent.stop();
    }
    // The runs really went through snapshots and compaction.
    const storage = await SqliteRaftStorage.open(join(dir, 'data', 'raft', 'raft.db'));
    try {
      const snap = await storage.snapshots.latestSnapshot();
      expect(snap?.meta.lastIndex ?? 0).toBeGreaterThan(200);
      expect(await storage.log.firstIndex()).toBeGreaterThan(1);
    } finally {
      await storage.close();
    }
  }, 120_000);
});
