import type { LogSink } from './text-logger.js';

/**
 * Consul's GatedWriter: log lines written while the agent starts are held back and written,
 * in order, once the startup banner is out ("Log data will now stream in as it occurs"), so
 * the banner comes first as it does in Consul. Opening it twice is harmless.
 */
export class GatedSink {
  private held: string[] | undefined = [];

  constructor(private readonly target: LogSink) {}

  /** The sink to give the logger: holds lines while closed, passes them through once open. */
  readonly sink: LogSink = (line) => {
    if (this.held) this.held.push(line);
    else this.target(line);
  };

  /** Writes every held line and passes all later ones straight through. */
  open(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    for (const line of held) this.target(line);
  }
}
