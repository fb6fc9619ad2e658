/**
 * ApiSurface port: exposes the agent to the outside world (REST, DNS, UI). A surface owns
 * its listeners; the kernel starts surfaces after the core is ready and stops them first.
 */
export interface ApiSurface {
  /** A short name, e.g. `http`, `dns`; unique among loaded surfaces. */
  readonly name: string;
  /** Binds and starts serving. Rejects (with the address in the message) if binding fails. */
  start(): Promise<void>;
  /** The `host:port` addresses actually bound (ports resolved when 0 was asked). Empty before start. */
  addresses(): string[];
  /** Stops accepting, ends in-flight blocking queries, closes listeners. Idempotent. */
  stop(): Promise<void>;
}
