import type { Operation } from './history.js';
import type { Model } from './model.js';

/** What a check found. */
export type CheckResult<I, O> =
  | { readonly result: 'ok' }
  /** No real-time-respecting order is a run of the model; `explanation` shows where the search got stuck. */
  | { readonly result: 'illegal'; readonly partition: number; readonly explanation: string; readonly longestPrefix: readonly Operation<I, O>[] }
  /** The search gave up after `maxSteps` (the answer is not known). */
  | { readonly result: 'unknown'; readonly partition: number };

/** Options of a check. */
export interface CheckOptions {
  /** Give up (result `unknown`) after this many search steps in one partition. Default 5,000,000. */
  readonly maxSteps?: number;
}

/** One event of the time line: a call or a return, linked to its partner. */
interface Entry<I, O> {
  readonly call: boolean;
  readonly id: number;
  readonly op: Operation<I, O>;
  match: Entry<I, O> | undefined;
  prev: Entry<I, O> | undefined;
  next: Entry<I, O> | undefined;
}

/**
 * Decides whether a concurrent history is linearizable with respect to `model`: the
 * Wing–Gong search with Lowe's memoization of (set of linearized operations, state) and
 * P-compositionality (`model.partition`), as Porcupine implements it. Operations whose answer
 * never came back (`return` Infinity) may take effect at any point after their call, or never.
 */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], opts: CheckOptions = {}): CheckResult<I, O> {
  const parts = model.partition ? model.partition(history) : [history.map((_, i) => i)];
  for (let p = 0; p < parts.length; p++) {
    const ops = parts[p]!.map((i) => history[i]!);
    const r = checkPart(model, ops, opts.maxSteps ?? 5_000_000);
    if (r === 'unknown') return { result: 'unknown', partition: p };
    if (r !== 'ok') return { result: 'illegal', partition: p, ...r };
  }
  return { result: 'ok' };
}

function checkPart<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  maxSteps: number,
): 'ok' | 'unknown' | { explanation: string; longestPrefix: Operation<I, O>[] } {
  const head = timeline(ops);
  const linearized = new Uint8Array(ops.length);
  const seen = new Set<string>();
  const stack: { entry: Entry<I, O>; state: S }[] = [];
  let longest: Operation<I, O>[] = [];
  /** The operation that could not be placed right after `longest`. */
  let stuck: Operation<I, O> | undefined;
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (head.next) {
    if (++steps > maxSteps) return 'unknown';
    const e = entry!;
    if (e.call) {
      const r = model.step(state, e.op.input, e.op.output);
      if (r.ok) {
        linearized[e.id] = 1;
        const key = `${bitsKey(linearized)}|${model.key(r.state)}`;
        if (!seen.has(key)) {
          seen.add(key);
          stack.push({ entry: e, state });
          state = r.state;
          lift(e);
          if (stack.length > longest.length) {
            longest = stack.map((s) => s.entry.op);
            stuck = undefined;
          }
          entry = head.next;
          continue;
        }
        linearized[e.id] = 0;
      }
      entry = e.next;
      continue;
    }
    // A return whose call is not linearized yet: that operation must go before everything
    // after it, and no order of what is linearized lets it. Undo the last choice.
    if (stuck === undefined && stack.length === longest.length) stuck = e.op;
    const top = stack.pop();
    if (!top) return { explanation: explain(model, longest, stuck ?? e.op), longestPrefix: longest };
    linearized[top.entry.id] = 0;
    state = top.state;
    unlift(top.entry);
    entry = top.entry.next;
  }
  return 'ok';
}

/** The calls and returns of `ops` in time order (a call at the same time as a return comes first: closed intervals overlap). */
function timeline<I, O>(ops: readonly Operation<I, O>[]): Entry<I, O> {
  const entries: Entry<I, O>[] = [];
  ops.forEach((op, id) => {
    if (!(op.return >= op.call)) throw new Error(`operation ${id} returns (${op.return}) before its call (${op.call})`);
    const call: Entry<I, O> = { call: true, id, op, match: undefined, prev: undefined, next: undefined };
    const ret: Entry<I, O> = { call: false, id, op, match: call, prev: undefined, next: undefined };
    call.match = ret;
    entries.push(call, ret);
  });
  entries.sort((a, b) => time(a) - time(b) || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const head: Entry<I, O> = { call: false, id: -1, op: undefined as never, match: undefined, prev: undefined, next: undefined };
  let last = head;
  for (const e of entries) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function time(e: Entry<unknown, unknown>): number {
  return e.call ? e.op.call : e.op.return;
}

/** Takes a linearized call and its return out of the time line. */
function lift(call: Entry<unknown, unknown>): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

/** Puts them back where they were (undoing lift, newest first). */
function unlift(call: Entry<unknown, unknown>): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

function bitsKey(bits: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bits.length; i += 16) {
    let w = 0;
    for (let j = 0; j < 16 && i + j < bits.length; j++) w |= bits[i + j]! << j;
    s += String.fromCharCode(w + 0x100);
  }
  return s;
}

function explain<S, I, O>(model: Model<S, I, O>, prefix: readonly Operation<I, O>[], stuck: Operation<I, O>): string {
  const show = (op: Operation<I, O>): string =>
    `client ${op.clientId} [${op.call}, ${op.return}] ${model.describe ? model.describe(op.input, op.output) : JSON.stringify([op.input, op.output])}`;
  return [
    `longest linearizable prefix (${prefix.length} operations):`,
    ...prefix.map((op) => `  ${show(op)}`),
    `cannot place, before its return: ${show(stuck)}`,
  ].join('\n');
}
