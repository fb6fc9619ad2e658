/**
 * The syntax tree of a `?filter` expression (Consul's go-bexpr language): boolean nodes over
 * matching expressions, each a selector path, an operator and (except for emptiness) a value.
 */

/** One step of a selector: a field or map key (`Service`, `Meta["k"]` → `k`). */
export type SelectorPath = readonly string[];

/** The matching operators; negated forms are separate so error texts and printing stay exact. */
export type MatchOperator =
  | 'equal'
  | 'not-equal'
  | 'is-empty'
  | 'is-not-empty'
  | 'in'
  | 'not-in'
  | 'contains'
  | 'not-contains'
  | 'matches'
  | 'not-matches';

/** A literal value: its source text (numbers keep their text so `80` compares to 80 and "80"). */
export interface FilterValue {
  readonly text: string;
  /** `number` for an unquoted numeric literal, else `string` (quoted, raw or bare word). */
  readonly kind: 'string' | 'number';
}

/** A matching expression. `regex` is set (compiled once) for matches / not matches. */
export interface MatchNode {
  readonly type: 'match';
  readonly op: MatchOperator;
  readonly selector: SelectorPath;
  readonly value?: FilterValue;
  readonly regex?: RegExp;
}

export interface AndNode {
  readonly type: 'and';
  readonly left: FilterNode;
  readonly right: FilterNode;
}

export interface OrNode {
  readonly type: 'or';
  readonly left: FilterNode;
  readonly right: FilterNode;
}

export interface NotNode {
  readonly type: 'not';
  readonly operand: FilterNode;
}

export type FilterNode = MatchNode | AndNode | OrNode | NotNode;
