import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { NetworkCoordinate, NodeCoordinate } from '../../../contracts/model/coordinate.js';
import type { RequestContext } from '../../../contracts/model/query.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { CoordinateSync, rateScaledInterval } from '../../../src/agent/coordinate-sync.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { testConfig } from '../surface-rest/fakes.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const COORD: NetworkCoordinate = { Vec: [0.001, 0, 0, 0, 0, 0, 0, 0], Error: 0.4, Adjustment: 0, Height: 1e-5 };

function setup(opts: { coord?: NetworkCoordinate; members?: number; config?: RuntimeConfig; fail?: boolean } = {}) {
  const clock = new ManualClock();
  const logger = new SilentLogger();
  const sent: [NodeCoordinate, RequestContext | undefined][] = [];
  let coord = opts.coord;
  let fail = opts.fail ?? false;
  const sync = new CoordinateSync({
    membership: { coordinate: () => coord, members: () => new Array(opts.members ?? 3).fill(null) },
    coordinate: {
      update: async (req, ctx) => {
        if (fail) throw new SextantError(ErrorCode.NoServers, 'No known Consul servers');
        sent.push([req, ctx]);
      },
    },
    config: () => opts.config ?? testConfig({ nodeName: 'agent-1', datacenter: 'dc7' }),
    clock,
    random: new SeededRandom(11),
    logger,
  });
  return { clock, logger, sent, sync, setCoord: (c: NetworkCoordinate | undefined) => (coord = c), setFail: (f: boolean) => (fail = f) };
}

describe('agent coordinate sync (Consul sendCoordinate)', () => {
  it('scales the interval as lib.RateScaledInterval: 15 s minimum, n/64 s beyond', () => {
    expect(rateScaledInterval(64, 15_000, 3)).toBe(15_000);
    expect(rateScaledInterval(64, 15_000, 2_000)).toBe(31_250);
    expect(rateScaledInterval(0, 15_000, 2_000)).toBe(15_000);
    const t = setup({ members: 2_000 });
    for (let i = 0; i < 50; i++) {
      const d = t.sync.nextDelayMs();
      expect(d).toBeGreaterThanOrEqual(31_250);
      expect(d).toBeLessThan(62_500);
    }
  });

  it('sends Coordinate.Update with this node, segment "" and the membership coordinate, once per period', async () => {
    const t = setup({ coord: COORD });
    t.sync.start();
    t.clock.advance(14_999);
    await settle();
    expect(t.sent).toEqual([]);
    t.clock.advance(15_001); // past the interval plus its stagger (< 2 × 15 s)
    await settle();
    expect(t.sent).toEqual([[{ Node: 'agent-1', Segment: '', Coord: COORD }, { datacenter: 'dc7' }]]);
    t.clock.advance(30_000);
    await settle();
    expect(t.sent).toHaveLength(2);
    await t.sync.stop();
    t.clock.advance(120_000);
    await settle();
    expect(t.sent).toHaveLength(2);
    expect(t.clock.pending()).toBe(0);
  });

  it('sends nothing while the membership has no coordinate, and keeps trying', async () => {
    const t = setup();
    t.sync.start();
    t.clock.advance(60_000);
    await settle();
    expect(t.sent).toEqual([]);
    t.setCoord(COORD);
    t.clock.advance(30_000);
    await settle();
    expect(t.sent).toHaveLength(1);
    await t.sync.stop();
  });

  it('logs a failed update and tries again next period', async () => {
    const t = setup({ coord: COORD, fail: true });
    t.sync.start();
    t.clock.advance(30_000);
    await settle();
    expect(t.logger.lines.some((l) => l.startsWith('ERROR') && l.includes('Coordinate update error') && l.includes('NO_SERVERS'))).toBe(true);
    t.setFail(false);
    t.clock.advance(30_000);
    await settle();
    expect(t.sent).toHaveLength(1);
    await t.sync.stop();
  });

  it('does not start under disable_coordinates', async () => {
    const t = setup({ coord: COORD, config: testConfig({ disableCoordinates: true }) });
    t.sync.start();
    expect(t.clock.pending()).toBe(0);
    t.clock.advance(120_000);
    await settle();
    expect(t.sent).toEqual([]);
  });
});
