// Cost of one Vivaldi update (serf's coordinate.Client.Update) and one distance estimate.
//   npm run bench:coordinate        (COORDINATE_BENCH_UPDATES=200000 by default)
// Informational only: prints µs per operation, asserts nothing. Gossip calls update() once per
// successful direct probe (about once a second per member), so anything in microseconds is noise.
import { performance } from 'node:perf_hooks';
import { CoordinateClient } from '../../src/gossip/coordinate/client.js';
import { defaultCoordinateConfig } from '../../src/gossip/coordinate/config.js';
import { generateClients, generateRandom, simulate } from '../../src/testing/coordinate-simulation.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';

const UPDATES = Number(process.env.COORDINATE_BENCH_UPDATES ?? 200_000);
const random = new SeededRandom(1);
const config = defaultCoordinateConfig();

// Peers with settled, realistic coordinates: a 25-node random topology after 1,000 cycles.
const nodes = 25;
const peers = generateClients(nodes, config, random);
const truth = generateRandom(nodes, 0.1, 0.01, random);
simulate(peers, truth, 1000, random);
const peerCoords = peers.map((p) => p.getCoordinate());
const names = peerCoords.map((_, i) => `node_${i}`);

const client = new CoordinateClient(config, random);
const warm = Math.min(20_000, UPDATES);
for (let k = 0; k < warm; k++) client.update(names[k % nodes]!, peerCoords[k % nodes]!, truth[0]![k % nodes]! || 0.05);

let start = performance.now();
for (let k = 0; k < UPDATES; k++) client.update(names[k % nodes]!, peerCoords[k % nodes]!, truth[0]![k % nodes]! || 0.05);
const updateUs = ((performance.now() - start) * 1000) / UPDATES;

let sink = 0;
start = performance.now();
for (let k = 0; k < UPDATES; k++) sink += client.distanceTo(peerCoords[k % nodes]!);
const distanceUs = ((performance.now() - start) * 1000) / UPDATES;

console.log(`coordinate bench: ${config.dimensionality} dimensions, ${UPDATES.toLocaleString('en-US')} operations each`);
console.log(`update():     ${updateUs.toFixed(3)} µs per call`);
console.log(`distanceTo(): ${distanceUs.toFixed(3)} µs per call   (checksum ${sink.toFixed(3)})`);
console.log(`resets during the run: ${client.stats().resets}`);
