/**
 * Where `sextant lock` hears SIGINT / SIGTERM from: the process in production, a fake in tests.
 */
export interface ShutdownSignals {
  /** Calls `fn` for every SIGINT or SIGTERM until the returned function unsubscribes. */
  subscribe(fn: (signal: NodeJS.Signals) => void): () => void;
}

/** The process's own SIGINT and SIGTERM (subscribing replaces Node's default exit on them). */
export const processShutdownSignals: ShutdownSignals = {
  subscribe(fn) {
    const on = (s: NodeJS.Signals): void => fn(s);
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  },
};
