import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from '../support/agent-http.js';
import type { AgentProcess } from '../support/agent-process.js';

/** The agent's metrics interval (go-metrics' inmem sink, as Consul's): /v1/agent/metrics shows the last finished one. */
const INTERVAL_MS = 10_000;
const POLL_MS = 3_000;

interface Sample {
  Name: string;
  Max: number;
}

/**
 * Runs `load` and returns its result with the longest time the agent itself took over one
 * request whose timer name starts with `prefix` (e.g. `consul.http.PUT.v1.kv`): from the request
 * reaching its HTTP surface to the answer written. Every finished 10 s interval of the agent's
 * metrics is read while the load runs and until the one holding its end has finished, so no
 * request is missed; the agent must get no other such requests meanwhile. Set beside the load
 * generator's own max, it tells the agent's waits from the machine's (a 2-core machine shared by
 * the load generator and the agent schedules both).
 */
export async function withAgentTimerMax<T>(agent: AgentProcess, prefix: string, load: () => Promise<T>): Promise<{ result: T; agentMaxMs: number }> {
  const seen = new Map<string, number>();
  let stop = false;
  const poll = async (): Promise<void> => {
    const m = await getJson<{ Timestamp: string; Samples: Sample[] }>(agent, '/v1/agent/metrics');
    const max = Math.max(0, ...m.Samples.filter((s) => s.Name.startsWith(prefix)).map((s) => s.Max));
    seen.set(m.Timestamp, max);
  };
  const poller = (async () => {
    while (!stop) {
      await poll();
      await sleep(POLL_MS);
    }
  })();
  try {
    const result = await load();
    // The interval holding the load's end finishes within INTERVAL_MS; polled every POLL_MS until then.
    await sleep(INTERVAL_MS + POLL_MS);
    return { result, agentMaxMs: Math.max(0, ...seen.values()) };
  } finally {
    stop = true;
    await poller;
  }
}
