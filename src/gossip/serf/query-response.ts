/**
 * The collector of one query's acks and responses (serf's QueryResponse, query.go): registered
 * under the query's Lamport time until its deadline, each node counted once.
 */

/** One node's answer to a query. */
export interface NodeResponse {
  from: string;
  payload: Uint8Array;
}

/** Acks and responses of one running query. */
export class QueryResponse {
  readonly acks: string[] = [];
  readonly responses: NodeResponse[] = [];
  private closed = false;
  private readonly responseListeners: Array<(r: NodeResponse) => void> = [];
  private readonly closeListeners: Array<() => void> = [];

  /** `requestAck`: acks are collected (otherwise they are ignored). */
  constructor(
    readonly id: number,
    readonly ltime: number,
    readonly deadline: number,
    readonly requestAck: boolean,
  ) {}

  /** Whether the query is closed (its deadline passed). */
  isClosed(): boolean {
    return this.closed;
  }

  /** Records an ack from `from` (once per node; ignored when acks were not requested or after closing). */
  addAck(from: string): void {
    if (this.closed || !this.requestAck || this.acks.includes(from)) return;
    this.acks.push(from);
  }

  /** Records a response (once per node; ignored after closing). */
  addResponse(r: NodeResponse): void {
    if (this.closed || this.responses.some((x) => x.from === r.from)) return;
    this.responses.push(r);
    for (const l of [...this.responseListeners]) l(r);
  }

  /** Calls `fn` for every response from now on. */
  onResponse(fn: (r: NodeResponse) => void): void {
    this.responseListeners.push(fn);
  }

  /** Calls `fn` once when the query closes (at once if it is closed already). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  /** Closes the query: no more acks or responses. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners.splice(0)) l();
  }
}
