import { afterEach } from 'vitest';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits in real time (10 ms steps) until `pred` holds; throws after `limitMs`. */
export async function until(pred: () => boolean, limitMs = 5000): Promise<void> {
  for (let t = 0; !pred(); t += 10) {
    if (t > limitMs) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

/**
 * Polls the async `pred` every `everyMs` until it resolves true; rejects after `limitMs` with
 * `what` (and the last error `pred` threw, if any) in the message.
 */
export async function eventually(what: string, pred: () => Promise<boolean>, limitMs = 10_000, everyMs = 200): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      if (await pred()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${limitMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/**
 * Call inside a `describe`: returns `track`, which remembers a transport (anything with
 * `close()`) so it is closed after each test, newest first.
 */
export function closeAfterEach(): <T extends { close(): unknown }>(t: T) => T {
  const toClose: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close();
  });
  return (t) => {
    toClose.push(t);
    return t;
  };
}
