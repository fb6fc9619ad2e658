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
