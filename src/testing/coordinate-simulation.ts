import type { Random } from '../../contracts/platform.js';
import { CoordinateClient } from '../gossip/coordinate/client.js';
import type { CoordinateConfig } from '../gossip/coordinate/config.js';
import { goDurationSeconds } from '../gossip/coordinate/coordinate.js';

/**
 * Test support for the Vivaldi engine, ported from serf's coordinate/phantom.go: truth
 * matrices of RTTs (seconds, truncated to nanoseconds as Go's time.Duration holds them),
 * a simulation that feeds clients observations from a truth matrix, and an evaluation of how
 * well the clients' coordinates predict it. Randomness only from the Random passed in (serf
 * reseeds math/rand with 1; here the test chooses the seed).
 */

/** A square, symmetric matrix of true RTTs in seconds; truth[i][j] is the RTT between i and j. */
export type TruthMatrix = number[][];

/** How well coordinates predict a truth matrix: relative errors |est - actual| / actual. */
export interface EvaluationStats {
  errorMax: number;
  errorAvg: number;
}

function emptyMatrix(nodes: number): TruthMatrix {
  return Array.from({ length: nodes }, () => new Array<number>(nodes).fill(0));
}

/** `nodes` fresh clients, all with `config`, drawing from `random`. */
export function generateClients(nodes: number, config: CoordinateConfig, random: Random): CoordinateClient[] {
  return Array.from({ length: nodes }, () => new CoordinateClient(config, random));
}

/** Nodes on a straight line, `spacing` seconds apart. */
export function generateLine(nodes: number, spacing: number): TruthMatrix {
  const truth = emptyMatrix(nodes);
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      const rtt = goDurationSeconds((j - i) * spacing);
      truth[i]![j] = rtt;
      truth[j]![i] = rtt;
    }
  }
  return truth;
}

/** Nodes on a square grid of side floor(sqrt(nodes)), `spacing` seconds apart. */
export function generateGrid(nodes: number, spacing: number): TruthMatrix {
  const truth = emptyMatrix(nodes);
  const n = Math.floor(Math.sqrt(nodes));
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      const dx = (j % n) - (i % n);
      const dy = Math.floor(j / n) - Math.floor(i / n);
      const rtt = goDurationSeconds(Math.sqrt(dx * dx + dy * dy) * spacing);
      truth[i]![j] = rtt;
      truth[j]![i] = rtt;
    }
  }
  return truth;
}

/**
 * Two sites: every pair is `lan` apart, plus `wan` across the split (nodes 0..nodes/2 on one
 * side, the rest on the other, as serf splits them).
 */
export function generateSplit(nodes: number, lan: number, wan: number): TruthMatrix {
  const truth = emptyMatrix(nodes);
  const split = Math.floor(nodes / 2);
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      let rtt = lan;
      if ((i <= split && j > split) || (i > split && j <= split)) rtt += wan;
      rtt = goDurationSeconds(rtt);
      truth[i]![j] = rtt;
      truth[j]![i] = rtt;
    }
  }
  return truth;
}

/**
 * Nodes evenly spread on a circle of `radius` seconds, except node 0, which is 2·radius from
 * every other node (the centre lifted up: it should come out with a large height).
 */
export function generateCircle(nodes: number, radius: number): TruthMatrix {
  const truth = emptyMatrix(nodes);
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      let rtt: number;
      if (i === 0) {
        rtt = 2 * radius;
      } else {
        const t1 = (2.0 * Math.PI * i) / nodes;
        const t2 = (2.0 * Math.PI * j) / nodes;
        const dx = Math.cos(t2) - Math.cos(t1);
        const dy = Math.sin(t2) - Math.sin(t1);
        rtt = goDurationSeconds(Math.sqrt(dx * dx + dy * dy) * radius);
      }
      truth[i]![j] = rtt;
      truth[j]![i] = rtt;
    }
  }
  return truth;
}

/** A standard normal deviate from two uniform draws (Box–Muller). */
function normal(random: Random): number {
  const u1 = 1 - random.next(); // (0, 1]: log stays finite
  const u2 = random.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Normally distributed RTTs with the given mean and deviation (seconds). */
export function generateRandom(nodes: number, mean: number, deviation: number, random: Random): TruthMatrix {
  const truth = emptyMatrix(nodes);
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      const rtt = goDurationSeconds(normal(random) * deviation + mean);
      truth[i]![j] = rtt;
      truth[j]![i] = rtt;
    }
  }
  return truth;
}

/**
 * Runs `cycles` rounds; in each, every client picks a random node (skipping itself) and
 * updates with that node's coordinate and the true RTT, as serf's Simulate does.
 */
export function simulate(clients: CoordinateClient[], truth: TruthMatrix, cycles: number, random: Random): void {
  const nodes = clients.length;
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (let i = 0; i < nodes; i++) {
      const j = random.int(nodes);
      if (j !== i) clients[i]!.update(`node_${j}`, clients[j]!.getCoordinate(), truth[i]![j]!);
    }
  }
}

/** Compares every pair's estimated distance with the truth matrix. */
export function evaluate(clients: CoordinateClient[], truth: TruthMatrix): EvaluationStats {
  const nodes = clients.length;
  let errorMax = 0;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      const est = clients[i]!.distanceTo(clients[j]!.getCoordinate());
      const actual = truth[i]![j]!;
      const err = Math.abs(est - actual) / actual;
      errorMax = Math.max(errorMax, err);
      sum += err;
      count++;
    }
  }
  return { errorMax, errorAvg: sum / count };
}
