import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelServices, PluginContext, PluginManifest, PortName, ProviderFactory } from '../../../contracts/plugin.js';
import type { CheckDefinition, CheckRunner } from '../../../contracts/ports/check-runner.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import { isPassiveCheckRunner } from '../../../contracts/ports/check-runner.js';
import checkScript from '../../../plugins/check-script/index.js';
import checkHttp from '../../../plugins/check-http/index.js';
import checkTcp from '../../../plugins/check-tcp/index.js';
import checkTtl from '../../../plugins/check-ttl/index.js';
import checkDocker from '../../../plugins/check-docker/index.js';
import checkGrpc from '../../../plugins/check-grpc/index.js';
import checkH2ping from '../../../plugins/check-h2ping/index.js';
import checkUdp from '../../../plugins/check-udp/index.js';
import checkAlias from '../../../plugins/check-alias/index.js';
import { isReactiveCheckRunner } from '../../../contracts/ports/check-runner.js';
import { SCRIPTS_DISABLED_REMOTE } from '../../../src/plugin-sdk/checks/script-policy.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { FakeDockerEngine } from '../../support/fake-docker-engine.js';

interface Provided {
  port: PortName;
  id: string;
  factory: ProviderFactory<PortName>;
}

async function register(manifest: PluginManifest): Promise<Provided[]> {
  const provided: Provided[] = [];
  const ctx = {
    name: manifest.name,
    pluginConfig: {},
    config: {} as RuntimeConfig,
    hooks: {} as PluginContext['hooks'],
    logger: new SilentLogger(),
    provide: (port: PortName, id: string, factory: ProviderFactory<PortName>) => provided.push({ port, id, factory }),
  } as unknown as PluginContext;
  await manifest.register(ctx);
  return provided;
}

function services(config: Partial<RuntimeConfig>): KernelServices {
  const base = { config: config as RuntimeConfig, logger: new SilentLogger(), clock: new SystemClock() };
  return new Proxy(base, {
    get(target, key) {
      if (key in target) return target[key as keyof typeof target];
      throw new Error(`check runner factory touched KernelServices.${String(key)}`);
    },
  }) as unknown as KernelServices;
}

async function build(manifest: PluginManifest, config: Partial<RuntimeConfig> = {}): Promise<CheckRunner> {
  const [p] = await register(manifest);
  return (await p!.factory(services({ enableScriptChecks: false, enableLocalScriptChecks: true, ...config }))) as CheckRunner;
}

const all = [checkScript, checkHttp, checkTcp, checkTtl, checkDocker, checkGrpc, checkH2ping, checkUdp, checkAlias];
let engine: FakeDockerEngine;
const savedDockerHost = process.env.DOCKER_HOST;

beforeAll(async () => {
  engine = await FakeDockerEngine.start();
  engine.addContainer('db', () => ({ exitCode: 0, output: [{ stream: 'stdout', data: 'pong' }] }));
});
afterAll(async () => {
  if (savedDockerHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = savedDockerHost;
  await engine.close();
});

describe('check runner plugins', () => {
  it('each plugin provides one checkRunner whose id is its kind, for kernel ^1.0.0', async () => {
    const kinds: Record<string, string> = {};
    for (const m of all) {
      expect(m.kernel).toBe('^1.0.0');
      const provided = await register(m);
      expect(provided.map((p) => p.port)).toEqual(['checkRunner']);
      const runner = await build(m);
      expect(runner.kind).toBe(provided[0]!.id);
      kinds[m.name] = runner.kind;
    }
    expect(kinds).toEqual({
      'check-script': 'script', 'check-http': 'http', 'check-tcp': 'tcp', 'check-ttl': 'ttl', 'check-docker': 'docker',
      'check-grpc': 'grpc', 'check-h2ping': 'h2ping', 'check-udp': 'udp', 'check-alias': 'alias',
    });
  });

  it('exactly one runner accepts each kind of definition', async () => {
    const runners = await Promise.all(all.map((m) => build(m)));
    const defs: [string, Record<string, unknown>][] = [
      ['script', { args: ['true'], interval: '10s' }],
      ['script', { script: 'true', interval: '10s' }],
      ['http', { http: 'http://localhost/health', interval: '10s' }],
      ['tcp', { tcp: 'localhost:80', interval: '10s' }],
      ['ttl', { ttl: '30s' }],
      ['docker', { docker_container_id: 'abc', args: ['true'], interval: '10s' }],
      ['grpc', { grpc: 'localhost:50051/web', interval: '10s' }],
      ['h2ping', { h2ping: 'localhost:443', interval: '10s' }],
      ['udp', { udp: 'localhost:53', interval: '10s' }],
      ['alias', { alias_service: 'web' }],
      ['alias', { alias_node: 'n1' }],
    ];
    for (const [kind, fields] of defs) {
      const d: CheckDefinition = { id: 'c', name: 'c', ...fields };
      expect(runners.filter((r) => r.accepts(d)).map((r) => r.kind)).toEqual([kind]);
    }
    expect(runners.filter(isPassiveCheckRunner).map((r) => r.kind)).toEqual(['ttl']);
    expect(runners.filter(isReactiveCheckRunner).map((r) => r.kind)).toEqual(['alias']);
  });

  it('script and docker runners take the script-check switches from the agent config', async () => {
    const d: CheckDefinition = { id: 'c', name: 'c', args: ['true'] };
    const localOnly = await build(checkScript, { enableScriptChecks: false, enableLocalScriptChecks: true });
    expect(localOnly.validate(d, 'config')).toBeUndefined();
    expect(localOnly.validate(d, 'api')).toBe(SCRIPTS_DISABLED_REMOTE);
    const docker = await build(checkDocker, { enableScriptChecks: true, enableLocalScriptChecks: false });
    expect(docker.validate({ ...d, docker_container_id: 'x' }, 'api')).toBeUndefined();
  });

  it('the docker plugin talks to $DOCKER_HOST', async () => {
    process.env.DOCKER_HOST = engine.dockerHost;
    const docker = await build(checkDocker);
    const r = await docker.probe({ id: 'c', name: 'c', docker_container_id: 'db', args: ['redis-cli', 'ping'] }, new AbortController().signal);
    expect(r).toEqual({ status: 'passing', output: 'pong' });
    expect(engine.commands('db')).toEqual([['redis-cli', 'ping']]);
  });
});
