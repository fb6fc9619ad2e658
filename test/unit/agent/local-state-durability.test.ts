import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import { AntiEntropy } from '../../../src/agent/anti-entropy.js';
import { LocalPersistence, idFileName } from '../../../src/agent/local-persistence.js';
import { LocalState } from '../../../src/agent/local-state.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { testConfig } from '../surface-rest/fakes.js';
import { FakeCatalog, fakeRunners, flush } from './fakes.js';

/**
 * The house rule "bad input never half-applies a write; an acknowledged write survives kill -9"
 * for the agent's own registrations: a write whose files cannot be made durable is refused with
 * STORAGE_FAILED and changes nothing (memory, running checks, catalog, files). The disk failures
 * are real ones the OS reports (the tests run as root, where permissions stop nothing): a
 * regular file where the data directory needs a directory, a directory where a file must go.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup(dataDir = mkdtempSync(join(tmpdir(), 'sextant-durable-')), clock = new ManualClock()) {
  dirs.push(dataDir);
  const config = testConfig({ nodeName: 'node-a', advertiseAddr: '10.0.0.5', server: false });
  const runners = fakeRunners();
  const hooks = createHooks();
  const statusChanges: string[] = [];
  hooks.checkStatusChanged.tap('test', (id, status) => void statusChanges.push(`${id}=${status}`));
  const random = new SeededRandom(5);
  const logger = new SilentLogger();
  const state = new LocalState({ config: () => config, runners: runners.map, clock, random, logger, hooks, persistence: new LocalPersistence(dataDir, { logger, random }) });
  await state.start();
  const catalog = new FakeCatalog();
  const ae = new AntiEntropy({ config: () => config, local: state, catalog, health: catalog, clock, random, logger, checkUpdateIntervalMs: 0 });
  ae.start();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 6; i++) {
      clock.advance(0);
      await flush();
    }
  };
  await settle();
  catalog.take();
  const stop = async (): Promise<void> => {
    await ae.stop();
    await state.stop();
  };
  return { dataDir, clock, runners, state, catalog, ae, settle, statusChanges, logger, stop };
}

/**
 * Registers service "cache" with a TTL check passed ("warm") and synced, and returns what a
 * refused write must leave as it was: the data directory's files, the services and the checks.
 */
async function registerWarmCache(a: Awaited<ReturnType<typeof setup>>, tags?: string[]) {
  await a.state.registerService({ Name: 'cache', Port: 6379, ...(tags ? { Tags: tags } : {}), Check: { TTL: '1m' } }, { replaceExistingChecks: false });
  await a.state.updateTtl('service:cache', 'passing', 'warm');
  await a.settle();
  a.catalog.take();
  return { files: snapshot(a.dataDir), services: a.state.services(), checks: a.state.checks() };
}

/** The rejection of `p` as `CODE: message` (fails the test when `p` resolves). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isSextantError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Every file under `dir` with its content, for before/after comparisons (an empty directory left by a refused write does not count). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else out[`${rel}${name}`] = readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

/** Replaces the file at `path` with a (non-empty) directory, so reading or removing it fails with EISDIR; returns a function that puts the file back. */
function blockFile(path: string): () => void {
  const content = readFileSync(path);
  rmSync(path);
  mkdirSync(join(path, 'blocker'), { recursive: true });
  return () => {
    rmSync(path, { recursive: true });
    writeFileSync(path, content);
  };
}

/** Replaces the directory at `path` (or its absence) with a regular file, so creating anything in it fails; returns a function that puts the directory back. */
function blockDir(path: string): () => void {
  const aside = `${path}.aside`;
  const existed = existsSync(path);
  if (existed) renameSync(path, aside);
  writeFileSync(path, 'not a directory');
  return () => {
    rmSync(path);
    if (existed) renameSync(aside, path);
  };
}

describe('LocalState: a write that cannot be persisted changes nothing', () => {
  it('register service: STORAGE_FAILED, nothing in memory, no check running, nothing in the catalog, no files left', async () => {
    const a = await setup();
    await a.state.registerService({ Name: 'web', Port: 80 }, { replaceExistingChecks: false });
    await a.settle();
    a.catalog.take();
    const files = snapshot(a.dataDir);
    const services = a.state.services();
    const checks = a.state.checks();
    const unblock = blockDir(join(a.dataDir, 'services'));
    const filesBlocked = snapshot(a.dataDir);

    const why = await failure(
      a.state.registerService({ Name: 'cache', Port: 6379, Checks: [{ TTL: '15s' }, { HTTP: 'http://127.0.0.1:1/', Interval: '10s' }] }, { replaceExistingChecks: false }),
    );
    expect(why).toMatch(new RegExp(`^${ErrorCode.StorageFailed}: failed persisting service "cache": E[A-Z]+: .*services`));
    expect(a.state.services()).toEqual(services);
    expect(a.state.checks()).toEqual(checks);
    // The check files written before the service file failed were taken back.
    expect(snapshot(a.dataDir)).toEqual(filesBlocked);
    a.clock.advance(20_000);
    await a.settle();
    expect(a.runners.http.probes).toBe(0); // the http check never started
    expect(a.catalog.take()).toEqual([]);
    await a.ae.syncFull();
    expect(a.catalog.take()).toEqual([]);

    unblock();
    expect(snapshot(a.dataDir)).toEqual(files);
    await a.stop();
    // Nothing of it comes back after a restart either.
    const b = await setup(a.dataDir, a.clock);
    expect(Object.keys(b.state.services())).toEqual(['web']);
    expect(b.state.checks()).toEqual({});
    await b.stop();
  });

  it('re-register service: the old definition, its files and its running checks with their state stay', async () => {
    const a = await setup();
    const { files, services, checks } = await registerWarmCache(a, ['v1']);
    const unblock = blockFile(join(a.dataDir, 'services', `${idFileName('cache')}.json`));

    const why = await failure(a.state.registerService({ Name: 'cache', Port: 7000, Tags: ['v2'], Check: { TTL: '2m' } }, { replaceExistingChecks: false }));
    expect(why).toMatch(/^STORAGE_FAILED: failed persisting service "cache": EISDIR/);
    expect(a.state.services()).toEqual(services);
    expect(a.state.checks()).toEqual(checks);
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    unblock();
    // The check file the batch had already rewritten (TTL 2m) holds the old definition again.
    expect(snapshot(a.dataDir)).toEqual(files);
    // The old TTL (1m) still runs: it expires 1m after the last pass.
    a.clock.advance(60_001);
    expect(a.state.checks()['service:cache']).toMatchObject({ Status: 'critical' });
    await a.stop();
  });

  it('register check: nothing registered, nothing synced', async () => {
    const a = await setup();
    const unblock = blockDir(join(a.dataDir, 'checks'));
    expect(await failure(a.state.registerCheck({ Name: 'disk', TTL: '1m' }))).toMatch(/^STORAGE_FAILED: failed persisting check "disk": /);
    expect(a.state.checks()).toEqual({});
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    unblock();
    await a.state.registerCheck({ Name: 'disk', TTL: '1m' });
    expect(Object.keys(a.state.checks())).toEqual(['disk']);
    await a.stop();
  });

  it('deregister service: a removal that fails half-way puts the removed files back; the service stays registered, running and in the catalog', async () => {
    const a = await setup();
    const { files, services, checks } = await registerWarmCache(a);
    // The service file goes first (it is removed), then the check file cannot be: the batch fails.
    const unblock = blockFile(join(a.dataDir, 'checks', `${idFileName('service:cache')}.json`));

    expect(await failure(a.state.deregisterService('cache'))).toMatch(/^STORAGE_FAILED: failed removing persisted service "cache": EISDIR/);
    expect(a.state.services()).toEqual(services);
    expect(a.state.checks()).toEqual(checks);
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    expect([...a.catalog.services.get('node-a')!.keys()]).toEqual(['cache']);
    unblock();
    expect(snapshot(a.dataDir)).toEqual(files); // the service file is back, byte for byte
    // The TTL keeps running: a pass still works.
    await a.state.updateTtl('service:cache', 'warning', 'slow');
    expect(a.state.checks()['service:cache']).toMatchObject({ Status: 'warning' });
    await a.stop();
    // Memory and disk agreed: a restart brings the service back, as the agent still showed it.
    const b = await setup(a.dataDir, a.clock);
    expect(Object.keys(b.state.services())).toEqual(['cache']);
    expect(b.state.checks()['service:cache']).toMatchObject({ Status: 'warning', Output: 'slow' });
    await b.state.deregisterService('cache');
    expect(readdirSync(join(a.dataDir, 'services'))).toEqual([]);
    await b.stop();
  });

  it('deregister check: the check stays when its file cannot be removed', async () => {
    const a = await setup();
    await a.state.registerCheck({ Name: 'disk', TTL: '1m' });
    await a.settle();
    a.catalog.take();
    const unblock = blockFile(join(a.dataDir, 'checks', `${idFileName('disk')}.json`));
    // The OS error does not name the file here; the message does.
    expect(await failure(a.state.deregisterCheck('disk'))).toBe(
      `STORAGE_FAILED: failed removing persisted check "disk": EISDIR: illegal operation on a directory, read: ${join(a.dataDir, 'checks', `${idFileName('disk')}.json`)}`,
    );
    expect(Object.keys(a.state.checks())).toEqual(['disk']);
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    unblock();
    await a.state.deregisterCheck('disk');
    expect(a.state.checks()).toEqual({});
    await a.stop();
  });

  it('TTL pass/warn/fail: the status stays, the TTL is not re-armed, no hook fires and nothing syncs', async () => {
    const a = await setup();
    await a.state.registerService({ Name: 'cache', Check: { TTL: '10s' } }, { replaceExistingChecks: false });
    await a.state.updateTtl('service:cache', 'passing', 'warm');
    await a.settle();
    a.catalog.take();
    a.statusChanges.length = 0;
    a.clock.advance(5_000);
    const unblock = blockDir(join(a.dataDir, 'checks', 'state'));

    expect(await failure(a.state.updateTtl('service:cache', 'warning', 'slow'))).toMatch(/^STORAGE_FAILED: failed persisting state for check "service:cache": /);
    expect(a.state.checks()['service:cache']).toMatchObject({ Status: 'passing', Output: 'warm' });
    expect(a.statusChanges).toEqual([]);
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    // Still due 10s after the last acknowledged pass, not after the refused update.
    a.clock.advance(5_001);
    expect(a.state.checks()['service:cache']).toMatchObject({ Status: 'critical', Output: 'TTL expired (last output before timeout follows): warm' });
    unblock();
    await a.stop();
  });

  it('node and service maintenance: enable and disable change nothing when their file cannot be written or removed', async () => {
    const a = await setup();
    await a.state.registerService({ Name: 'web' }, { replaceExistingChecks: false });
    await a.settle();
    a.catalog.take();
    let unblock = blockDir(join(a.dataDir, 'checks'));
    expect(await failure(a.state.nodeMaintenance(true, 'patching'))).toMatch(/^STORAGE_FAILED: failed persisting node maintenance mode: /);
    expect(await failure(a.state.serviceMaintenance('web', true, ''))).toMatch(/^STORAGE_FAILED: failed persisting maintenance mode of service "web": /);
    expect(a.state.checks()).toEqual({});
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    unblock();

    await a.state.nodeMaintenance(true, 'patching');
    await a.state.serviceMaintenance('web', true, '');
    await a.settle();
    a.catalog.take();
    unblock = blockFile(join(a.dataDir, 'checks', `${idFileName('_node_maintenance')}.json`));
    const unblockSvc = blockFile(join(a.dataDir, 'checks', `${idFileName('_service_maintenance:web')}.json`));
    expect(await failure(a.state.nodeMaintenance(false, ''))).toMatch(/^STORAGE_FAILED: failed removing persisted check "_node_maintenance": EISDIR/);
    expect(await failure(a.state.serviceMaintenance('web', false, ''))).toMatch(/^STORAGE_FAILED: failed removing persisted check "_service_maintenance:web": EISDIR/);
    expect(Object.keys(a.state.checks()).sort()).toEqual(['_node_maintenance', '_service_maintenance:web']);
    await a.settle();
    expect(a.catalog.take()).toEqual([]);
    unblock();
    unblockSvc();
    await a.stop();
  });

  it('concurrent writes apply in memory in the order their files were written', async () => {
    const a = await setup();
    await Promise.all([1, 2, 3, 4, 5].map((port) => a.state.registerService({ Name: 'web', Port: port }, { replaceExistingChecks: false })));
    const onDisk = JSON.parse(readFileSync(join(a.dataDir, 'services', `${idFileName('web')}.json`), 'utf8')) as { Definition: { port: number } };
    expect(a.state.services()['web']!.Port).toBe(5);
    expect(onDisk.Definition.port).toBe(5);
    await a.stop();
  });
});

describe('LocalPersistence: durable and frugal', () => {
  it('an unchanged re-registration rewrites no file; a changed one replaces only what changed', async () => {
    const a = await setup();
    const def = { Name: 'cache', Port: 6379, Checks: [{ TTL: '15s' }, { TTL: '1m' }] };
    await a.state.registerService(def, { replaceExistingChecks: false });
    const svcFile = join(a.dataDir, 'services', `${idFileName('cache')}.json`);
    const check1 = join(a.dataDir, 'checks', `${idFileName('service:cache:1')}.json`);
    const check2 = join(a.dataDir, 'checks', `${idFileName('service:cache:2')}.json`);
    const inodes = (): number[] => [svcFile, check1, check2].map((f) => statSync(f).ino);
    const before = inodes();
    // Config management tools re-register the same definition over and over: no writes, no fsyncs.
    await a.state.registerService(def, { replaceExistingChecks: false });
    await a.state.registerService(def, { replaceExistingChecks: false });
    expect(inodes()).toEqual(before);
    // A new port rewrites the service file (a new inode: written aside and renamed over), not the checks.
    await a.state.registerService({ ...def, Port: 6380 }, { replaceExistingChecks: false });
    const after = inodes();
    expect(after[0]).not.toBe(before[0]);
    expect(after.slice(1)).toEqual(before.slice(1));
    // No temp files are left behind.
    expect(readdirSync(join(a.dataDir, 'services'))).toEqual([`${idFileName('cache')}.json`]);
    await a.stop();
  });
});
