/** Splits a history's operations by `input.key` (indexes into `ops`, per key in first-seen order): the partition of models whose keys are independent. */
export function partitionByKey(ops: readonly { input: { readonly key: string } }[]): number[][] {
  const byKey = new Map<string, number[]>();
  ops.forEach((o, i) => {
    let list = byKey.get(o.input.key);
    if (!list) byKey.set(o.input.key, (list = []));
    list.push(i);
  });
  return [...byKey.values()];
}
