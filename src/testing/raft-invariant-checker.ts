import type { LogEntry } from '../../contracts/ports/log-store.js';
import { LogEntryType } from '../../contracts/ports/log-store.js';
import type { RaftNode } from '../consensus/raft-node.js';

interface RefEntry {
  term: number;
  key: string;
  /** The server (id#incarnation) first seen holding it as committed. */
  by: string;
}

function entryKey(e: LogEntry): string {
  return `${e.type}:${Buffer.from(e.data).toString('base64')}`;
}

/**
 * Checks Raft's safety properties while a simulation runs (Raft paper Figure 3):
 * Election Safety (one leader per term), Leader Completeness (a new leader holds every
 * committed entry), Log Matching (same index+term ⇒ same prefix), State Machine Safety (every
 * server applies the same command at an index, in index order, snapshots included), and
 * monotonic commit/applied indexes within one incarnation of a server. Violations are
 * collected as plain sentences; `violations.length === 0` means the run was safe.
 */
export class RaftInvariantChecker {
  readonly violations: string[] = [];
  private readonly leaders = new Map<number, string>();
  private readonly committed = new Map<number, RefEntry>();
  private readonly applied = new Map<number, string>();
  private readonly lastCommit = new Map<string, number>();
  private readonly lastApplied = new Map<string, number>();
  private readonly lastApply = new Map<string, number>();

  private fail(msg: string): void {
    if (this.violations.length < 50) this.violations.push(msg);
  }

  /** Observes one live server (key = id#incarnation) after a simulation step. */
  observeNode(key: string, core: RaftNode): void {
    const term = core.currentTerm();
    if (core.currentRole() === 'leader') {
      const known = this.leaders.get(term);
      if (known === undefined) {
        this.leaders.set(term, core.id);
        this.checkLeaderCompleteness(core);
      } else if (known !== core.id) {
        this.fail(`election safety: ${known} and ${core.id} both lead term ${term}`);
      }
    }
    const c = core.commitIndex();
    const prevC = this.lastCommit.get(key) ?? 0;
    if (c < prevC) this.fail(`${key}: commit index went back from ${prevC} to ${c}`);
    for (let i = Math.max(prevC + 1, core.firstIndex()); i <= c; i++) {
      const e = core.entries(i, i)[0];
      if (!e) {
        this.fail(`${key}: committed index ${i} missing from its log`);
        break;
      }
      this.recordCommitted(key, e);
    }
    this.lastCommit.set(key, Math.max(c, prevC));
    const a = core.appliedIndex();
    const prevA = this.lastApplied.get(key) ?? 0;
    if (a < prevA) this.fail(`${key}: applied index went back from ${prevA} to ${a}`);
    if (a > c) this.fail(`${key}: applied ${a} beyond commit ${c}`);
    this.lastApplied.set(key, Math.max(a, prevA));
  }

  private recordCommitted(key: string, e: LogEntry): void {
    const ref = this.committed.get(e.index);
    const k = entryKey(e);
    if (!ref) {
      this.committed.set(e.index, { term: e.term, key: k, by: key });
      if (e.type === LogEntryType.Command) {
        const v = this.applied.get(e.index);
        if (v !== undefined && `${LogEntryType.Command}:${Buffer.from(v).toString('base64')}` !== k) {
          this.fail(`state machine safety: index ${e.index} applied as ${v} but committed differently`);
        }
      }
    } else if (ref.term !== e.term || ref.key !== k) {
      this.fail(`${key}: committed entry ${e.index} (term ${e.term}) differs from the one ${ref.by} committed before (term ${ref.term})`);
    }
  }

  private checkLeaderCompleteness(core: RaftNode): void {
    for (const [i, ref] of this.committed) {
      if (i < core.firstIndex()) continue;
      const t = core.termAt(i);
      if (t !== ref.term) {
        this.fail(`leader completeness: new leader ${core.id} (term ${core.currentTerm()}) lacks committed entry ${i} (term ${ref.term}, committed by ${ref.by}; it holds term ${t ?? 'none'})`);
        return;
      }
    }
  }

  /** Observes a state machine applying `value` at `index` (key = id#incarnation). */
  observeApply(key: string, index: number, value: string): void {
    const prev = this.lastApply.get(key) ?? 0;
    if (index <= prev) this.fail(`${key}: applied index ${index} after ${prev}`);
    this.lastApply.set(key, index);
    const known = this.applied.get(index);
    if (known === undefined) this.applied.set(index, value);
    else if (known !== value) this.fail(`state machine safety: index ${index} applied as ${known} and as ${value}`);
    const ref = this.committed.get(index);
    if (ref && ref.key !== `${LogEntryType.Command}:${Buffer.from(value).toString('base64')}`) {
      this.fail(`state machine safety: ${key} applied ${value} at ${index}, not the committed command`);
    }
  }

  /** Observes a state machine restored from a snapshot: its items must be the commands applied up to lastIndex. */
  observeRestore(key: string, lastIndex: number, items: readonly string[]): void {
    this.lastApply.set(key, lastIndex);
    const expected = this.commandsUpTo(lastIndex);
    if (expected.length !== items.length || expected.some((v, i) => v !== items[i])) {
      this.fail(`${key}: snapshot at ${lastIndex} holds ${items.length} commands, expected ${expected.length} matching ones`);
    }
  }

  /** The commands applied anywhere at indexes ≤ index, in index order. */
  commandsUpTo(index: number): string[] {
    return [...this.applied.entries()]
      .filter(([i]) => i <= index)
      .sort((a, b) => a[0] - b[0])
      .map(([, v]) => v);
  }

  /** Full Log Matching check across servers: where two logs agree on an index's term, they
   * agree on every entry up to it. */
  checkLogMatching(cores: { key: string; core: RaftNode }[]): void {
    for (let x = 0; x < cores.length; x++) {
      for (let y = x + 1; y < cores.length; y++) {
        const a = cores[x]!;
        const b = cores[y]!;
        const lo = Math.max(a.core.firstIndex(), b.core.firstIndex());
        const hi = Math.min(a.core.lastIndex(), b.core.lastIndex());
        let agreed = false;
        for (let i = hi; i >= lo; i--) {
          const ea = a.core.entries(i, i)[0]!;
          const eb = b.core.entries(i, i)[0]!;
          if (!agreed && ea.term === eb.term) agreed = true;
          if (agreed && (ea.term !== eb.term || entryKey(ea) !== entryKey(eb))) {
            this.fail(`log matching: ${a.key} and ${b.key} agree below but differ at ${i}`);
            break;
          }
        }
      }
    }
  }

  /** Number of indexes known committed. */
  committedCount(): number {
    return this.committed.size;
  }
}
