import { describe, expect, it } from 'vitest';
import { LogTaps, TextLogger } from '../../../src/platform/text-logger.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { LogMonitor } from '../../../src/telemetry/log-monitor.js';

function setup(level: 'info' | 'error' = 'info') {
  const taps = new LogTaps();
  const written: string[] = [];
  const logger = TextLogger.create({ level, sink: (l) => written.push(l), clock: new ManualClock(0), taps });
  return { taps, written, logger };
}

describe('LogMonitor', () => {
  it('sees lines at its own level even below the agent level, in text or JSON', async () => {
    const { taps, written, logger } = setup('error');
    const text = new LogMonitor(taps, { level: 'debug', json: false });
    const json = new LogMonitor(taps, { level: 'info', json: true });
    logger.child('raft').debug('heartbeat', { term: 2 });
    logger.info('hello');
    expect(written).toEqual([]);
    const ac = new AbortController();
    expect(await text.read(ac.signal)).toEqual([
      '1970-01-01T00:00:00.000Z [DEBUG] agent.raft: heartbeat: term=2',
      '1970-01-01T00:00:00.000Z [INFO]  agent: hello',
    ]);
    expect((await json.read(ac.signal)).map((l) => JSON.parse(l) as unknown)).toEqual([
      { '@timestamp': '1970-01-01T00:00:00.000Z', '@level': 'info', '@module': 'agent', '@message': 'hello' },
    ]);
    text.close();
    json.close();
  });

  it('drops lines a slow reader cannot take, says so, and never blocks the logger', async () => {
    const { taps, logger } = setup();
    const mon = new LogMonitor(taps, { level: 'info', json: false }, 3);
    for (let i = 0; i < 10; i++) logger.info(`line ${i}`);
    const got = await mon.read(new AbortController().signal);
    expect(got[0]).toBe('Monitor dropped 7 logs during monitor request');
    expect(got.slice(1).map((l) => l.split(': ')[1])).toEqual(['line 0', 'line 1', 'line 2']);
    expect(mon.close()).toBe(7);
    logger.info('after close');
    expect(await mon.read(new AbortController().signal)).toEqual([]);
  });

  it('a read waiting for lines ends when its signal aborts', async () => {
    const { taps } = setup();
    const mon = new LogMonitor(taps, { level: 'info', json: false });
    const ac = new AbortController();
    const pending = mon.read(ac.signal);
    ac.abort();
    expect(await pending).toEqual([]);
    mon.close();
  });
});
