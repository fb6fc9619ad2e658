import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** Tracks whether a store was closed and produces the SHUTDOWN error for calls made afterwards. */
export class ClosedGuard {
  private closed = false;

  constructor(private readonly storeName: string) {}

  /** True once {@link close} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Marks the store closed; returns false when it already was. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    return true;
  }

  /** Throws SHUTDOWN when the store is closed. */
  check(): void {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, `the ${this.storeName} is closed`);
  }
}
