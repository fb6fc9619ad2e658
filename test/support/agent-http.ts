import type { AgentProcess } from './agent-process.js';

/** Small HTTP helpers for tests that drive agent processes (status checked, bodies parsed). */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET `path` on the agent as JSON; throws with the status and body unless 200. */
export async function getJson<T>(a: AgentProcess, path: string): Promise<T> {
  const res = await fetch(`${a.httpAddr}${path}`);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls `probe` every 100 ms until it returns a value (not undefined); throws after `ms`, with the last error `probe` threw. */
export async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(100);
  }
}

/** PUT /v1/kv/<key>; true when the agent answered 200 `true`. */
export async function putKv(a: AgentProcess, key: string, value: string): Promise<boolean> {
  const res = await fetch(`${a.httpAddr}/v1/kv/${key}`, { method: 'PUT', body: value });
  return res.status === 200 && (await res.text()).trim() === 'true';
}

/** GET /v1/kv/<key>?raw (plus `query`, e.g. `&consistent`); undefined unless 200. */
export async function getKv(a: AgentProcess, key: string, query = ''): Promise<string | undefined> {
  const res = await fetch(`${a.httpAddr}/v1/kv/${key}?raw${query}`);
  return res.status === 200 ? await res.text() : undefined;
}
