import type { Clock } from '../../contracts/platform.js';

/** How often an agent started by npm checks that npm still runs. */
export const NPM_PARENT_CHECK_MS = 1_000;

/**
 * For an agent started by an npm script (`npm start`): calls `onGone` once when the npm
 * process that started it is gone. npm forwards SIGINT and SIGTERM to the agent, but dies on
 * SIGHUP (or SIGKILL) without a word, which would leave the agent orphaned and holding its
 * ports; the agent shuts down instead. Does nothing outside npm. Returns the function that stops
 * watching.
 */
export function watchNpmParent(clock: Clock, onGone: () => void, env: NodeJS.ProcessEnv = process.env): () => void {
  if (!env['npm_lifecycle_event']) return () => undefined;
  const parent = process.ppid;
  const timer = clock.setInterval(() => {
    if (process.ppid === parent) return;
    timer.cancel();
    onGone();
  }, NPM_PARENT_CHECK_MS);
  return () => timer.cancel();
}
