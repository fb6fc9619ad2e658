/**
 * Re-checks a KV history that a test saved (test-artifacts/*.json) for linearizability:
 *
 *   npx tsx test/support/replay-kv-history.ts test-artifacts/cluster-linearizability-<stamp>.json
 *
 * Prints the result (and, when it is not linearizable, where the search got stuck); exits 0
 * when linearizable, 1 when not, 2 when the check gave up.
 */
import { loadKvHistory, recheckKvHistory } from './kv-history-file.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx test/support/replay-kv-history.ts <history.json> [maxSteps]');
  process.exit(2);
}
const { meta, ops } = loadKvHistory(file);
const t0 = performance.now();
const r = recheckKvHistory(file, process.argv[3] ? Number(process.argv[3]) : undefined);
const ms = Math.round(performance.now() - t0);
console.log(`${ops.length} operations (${ops.filter((o) => o.output === undefined).length} unknown), meta ${JSON.stringify(meta)}`);
console.log(`result: ${r.result} in ${ms} ms`);
if (r.result === 'illegal') console.log(`key partition ${r.partition}:\n${r.explanation}`);
process.exit(r.result === 'ok' ? 0 : r.result === 'illegal' ? 1 : 2);
