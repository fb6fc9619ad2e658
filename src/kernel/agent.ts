import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AgentHooks } from '../../contracts/hooks.js';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { ApiSurface } from '../../contracts/ports/api-surface.js';
import { mountHttpContributions } from './mount-http-contributions.js';
import type { CheckRunner } from '../../contracts/ports/check-runner.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { KernelServices } from '../../contracts/plugin.js';
import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { Membership } from '../../contracts/ports/membership.js';
import { AntiEntropy } from '../agent/anti-entropy.js';
import { CoordinateSync } from '../agent/coordinate-sync.js';
import { LocalAgent } from '../agent/local-agent.js';
import { startupJoin, startRetryJoin } from '../agent/agent-joins.js';
import { LocalPersistence } from '../agent/local-persistence.js';
import { LocalState } from '../agent/local-state.js';
import { nonReloadableChanges } from '../config/reload-changes.js';
import { AgentWatches } from '../watch/agent-watches.js';
import { GatedSink } from '../platform/gated-sink.js';
import { SystemClock } from '../platform/system-clock.js';
import { SystemRandom } from '../platform/system-random.js';
import { LogTaps, TextLogger } from '../platform/text-logger.js';
import { AgentTelemetry } from '../telemetry/agent-telemetry.js';
import { InmemMetrics } from '../telemetry/inmem-metrics.js';
import { RuntimeMetrics } from '../telemetry/runtime-metrics.js';
import { telemetrySettings } from '../telemetry/telemetry-config.js';
import type { AssemblyEnv } from './agent-core.js';
import { createAgentContainer, registerLazy, registerValue } from './agent-container.js';
import { startClient } from './client-assembly.js';
import { startServer } from './server-assembly.js';
import { createHooks } from './hooks.js';
import { resolveNodeId } from './node-id.js';
import { sextantVersion } from './package-root.js';
import { memberTags } from '../membership/member-tags.js';
import { UserEventLog } from '../events/user-event-log.js';
import { serverAddresses, startMembership } from './start-membership.js';
import { agentPluginRefs, mergeCheckFields } from './plugin-check-fields.js';
import { pluginHooks } from './plugin-hooks.js';
import { loadPlugins } from './plugin-loader.js';
import { registerPlugins } from './register-plugins.js';
import { closeCheckRunners, createCheckRunners } from './check-runners.js';

/** How to build an agent. */
export interface AgentOptions {
  config: RuntimeConfig;
  clock?: Clock;
  random?: Random;
  /** Where log lines go (stderr by default). */
  logSink?: (line: string) => void;
  /** Re-reads the configuration from its sources (reload). Without it, reload keeps the config. */
  reloadConfig?: () => Promise<RuntimeConfig>;
  /**
   * A client agent's servers: the RPC addresses it may send requests to. By default the alive
   * servers of its datacenter in the LAN pool (none until gossip exists: a client then answers
   * `No known Consul servers`); in-process clusters and tests may name them.
   */
  servers?: () => readonly string[];
}

/**
 * One Sextant agent: the container, the plugins, the role's core (a server assembly with Raft,
 * the replicated state and the endpoints, or a client assembly that sends every request to a
 * server), the local state with its checks and anti-entropy, and the API surfaces, started in
 * that order and stopped in reverse. Everything above the core sees only the service contracts.
 */
export class Agent {
  private readonly teardown: { what: string; run: () => Promise<void> }[] = [];
  private surfaces: ApiSurface[] = [];
  private current: RuntimeConfig;
  private stopping: Promise<void> | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private localState: LocalState | undefined;
  private membership: Membership | undefined;
  /** The role's graceful leave (a server's removes it from Raft first), once the core is built. */
  private leaveCluster: (() => Promise<void>) | undefined;
  /** The exit status the agent's process should end with once stopped (1 after a fatal error such as retry join exhausted). */
  private exitCode = 0;
  private markTerminated: (code: number) => void = () => {};
  private readonly terminatedPromise = new Promise<number>((resolve) => (this.markTerminated = resolve));

  private constructor(
    private readonly opts: AgentOptions,
    readonly hooks: AgentHooks,
    readonly logger: Logger,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly logTaps: LogTaps,
  ) {
    this.current = opts.config;
  }

  /** The running configuration (replaced by a successful reload). */
  get config(): RuntimeConfig {
    return this.current;
  }

  /** The started API surfaces. */
  apiSurfaces(): readonly ApiSurface[] {
    return this.surfaces;
  }

  /** The bound `host:port` of the HTTP surface, if one is running. */
  httpAddress(): string | undefined {
    return this.surfaces.find((s) => s.name === 'http')?.addresses()[0];
  }

  /**
   * Builds and starts an agent. On any failure everything already started is torn down and the
   * error (a coded SextantError for configuration and plugin problems) is rethrown.
   */
  static async start(opts: AgentOptions): Promise<Agent> {
    const clock = opts.clock ?? new SystemClock();
    const random = opts.random ?? new SystemRandom();
    // Like Consul: "Starting" first, the start-up logs held until the rest of the banner is out.
    const gate = new GatedSink(opts.logSink ?? ((line) => process.stderr.write(`${line}\n`)));
    const taps = new LogTaps(); // /v1/agent/monitor listens here, at its own level
    const logger = TextLogger.create({ level: opts.config.logLevel, json: opts.config.logJson, clock, sink: gate.sink, taps });
    const agent = new Agent(opts, createHooks(), logger, clock, random, taps);
    process.stdout.write('==> Starting Sextant agent...\n');
    try {
      await agent.boot();
    } catch (e) {
      gate.open(); // what happened before the failure is what explains it
      await agent.stop().catch((err: unknown) => logger.error('cleanup after a failed start failed', { error: err }));
      throw e;
    }
    gate.open();
    return agent;
  }

  private onStop(what: string, run: () => Promise<void>): void {
    this.teardown.push({ what, run });
  }

  private async boot(): Promise<void> {
    const log = this.logger;
    let config = this.current;
    if (config.dataDir) await mkdir(config.dataDir, { recursive: true });
    const nodeId = await resolveNodeId(config.dataDir, config.nodeId, this.random);
    config = Object.freeze({ ...config, nodeId });
    this.current = config;
    if (config.pidFile) {
      const pidFile = config.pidFile;
      await mkdir(dirname(pidFile), { recursive: true });
      await writeFile(pidFile, `${process.pid}`);
      this.onStop('pid file', () => rm(pidFile, { force: true }));
    }

    const container = createAgentContainer();
    this.onStop('container', () => container.dispose());
    registerValue(container, 'config', config);
    registerValue(container, 'logger', log);
    registerValue(container, 'clock', this.clock);
    registerValue(container, 'random', this.random);
    registerValue(container, 'hooks', pluginHooks(this.hooks)); // plugins and provider factories only tap
    const metrics = new InmemMetrics({ clock: this.clock, ...telemetrySettings(config) });
    registerValue(container, 'metrics', metrics);
    registerValue(container, 'telemetry', new AgentTelemetry(this.logTaps, metrics));
    const services: KernelServices = container.cradle;

    // Plugins: first-party ones, then the config's, all through the same loader.
    const plugins = await loadPlugins(agentPluginRefs(config.plugins), config.pluginConfig, config.pluginConfigSources);
    const checkFields = mergeCheckFields(plugins);
    // The kernel builds the state machine (the replicated catalog/KV state) and the catalog
    // resolver itself; plugins provide the other ports.
    const registry = await registerPlugins(plugins, { config, hooks: this.hooks, logger: log });

    // The role's core: a server (Raft, state, endpoints, leader jobs) or a client (RPC to servers).
    const onStop = (what: string, run: () => Promise<void>): void => this.onStop(what, run);
    const { membership, serfLanPort } = await startMembership({
      config: () => this.current, version: sextantVersion(), hooks: this.hooks, logger: log, clock: this.clock, random: this.random, registry, kernel: services, onStop,
    });
    this.membership = membership;
    config = Object.freeze({ ...config, ports: Object.freeze({ ...config.ports, serfLan: serfLanPort }) });
    this.current = config;
    const env: AssemblyEnv = {
      config, liveConfig: () => this.current, logger: log, clock: this.clock, random: this.random, hooks: this.hooks, registry, membership, kernel: services, onStop, metrics,
    };
    const core = config.server ? await startServer(env) : await startClient(env, this.opts.servers ?? serverAddresses(membership, () => this.current.datacenter));
    const coreLeave = core.leave;
    this.leaveCluster = coreLeave;
    if (core.role === 'server') {
      const serverPort = Number(/:(\d+)$/.exec(core.address)?.[1] ?? config.ports.server);
      this.current = Object.freeze({ ...config, ports: Object.freeze({ ...config.ports, server: serverPort }) });
      membership.setTags(memberTags(this.current, sextantVersion())); // the `port` tag: the bound server port
    }
    const { kv, catalog, health, session, txn, status, operator, resolver } = core.services;
    registerValue(container, 'status', status);
    registerValue(container, 'operator', operator);
    registerValue(container, 'kv', kv);
    registerValue(container, 'catalog', catalog);
    registerValue(container, 'health', health);
    registerValue(container, 'session', session);
    registerValue(container, 'txn', txn);
    registerValue(container, 'resolver', resolver);
    registerValue(container, 'coordinate', core.services.coordinate);
    registerValue(container, 'snapshot', core.services.snapshot);
    registerValue(container, 'internalUi', core.services.internalUi);
    const agentService = new LocalAgent({
      config: () => this.current,
      leaderAddress: () => core.leaderAddress(),
      version: sextantVersion(),
      membership,
      logger: log,
      ...(coreLeave ? { leave: coreLeave } : {}),
      shutdown: () => void this.shutdown(0),
      reload: () => this.reload(),
      localStats: () => this.localState?.stats() ?? { services: 0, checks: 0, checkTtls: 0, checkMonitors: 0 },
      ...(core.raftStats ? { raftStats: core.raftStats } : {}),
    });
    registerValue(container, 'agent', agentService);

    // Check runners (one per kind), the agent's own services and checks, and anti-entropy.
    const checkRunners = new Map<string, CheckRunner>();
    this.onStop('check runners', async () => {
      const failed = await closeCheckRunners(checkRunners);
      if (failed !== undefined) throw failed;
    });
    await createCheckRunners(registry, services, checkRunners);
    registerValue(container, 'checkRunners', checkRunners);
    const localLog = log.child('local');
    // Built below, once the core is ready; the agent's write endpoints wait for its syncs.
    let antiEntropy: AntiEntropy | undefined;
    const localState = new LocalState({
      config: () => this.current,
      runners: checkRunners,
      clock: this.clock,
      random: this.random,
      logger: localLog,
      hooks: this.hooks,
      persistence: config.dataDir ? new LocalPersistence(config.dataDir, { logger: localLog, random: this.random }) : undefined,
      checkFields,
      syncChanges: () => antiEntropy?.syncChanges() ?? Promise.resolve(),
    });
    this.localState = localState;
    await localState.start();
    this.onStop('local state', () => localState.stop());
    registerLazy(container, 'localAgent', () => localState);
    const events = new UserEventLog({
      membership,
      fire: (name, payload, ctx) => core.services.internal.eventFire(name, payload, ctx),
      target: () => ({ nodeName: this.current.nodeName, services: Object.values(localState.services()).map((s) => ({ name: s.Service, tags: s.Tags })) }),
      clock: this.clock,
      random: this.random,
      logger: log,
    });
    this.onStop('user events', async () => events.close());
    registerValue(container, 'events', events);

    await core.ready();
    const runtimeMetrics = new RuntimeMetrics(metrics, this.clock, core.collectMetrics ? [() => core.collectMetrics?.()] : []);
    runtimeMetrics.start();
    this.onStop('runtime metrics', async () => runtimeMetrics.stop());

    const ae = new AntiEntropy({
      config: () => this.current,
      local: localState,
      catalog: services.catalog,
      health: services.health,
      clock: this.clock,
      random: this.random,
      logger: log.child('anti_entropy'),
      stateLogger: log, // `agent: Synced service: service=web`, as Consul's local state logs it
      ...(config.checkUpdateIntervalMs !== undefined ? { checkUpdateIntervalMs: config.checkUpdateIntervalMs } : {}),
    });
    antiEntropy = ae;
    ae.start();
    this.onStop('anti-entropy', () => ae.stop());
    // Consul's sendCoordinate: this agent's LAN coordinate goes to the servers periodically (not under disable_coordinates).
    const coordinateSync = new CoordinateSync({ membership, coordinate: core.services.coordinate, config: () => this.current, clock: this.clock, random: this.random, logger: log.child('agent') });
    coordinateSync.start();
    this.onStop('coordinate sync', () => coordinateSync.stop());
    this.hooks.reload.tapPromise('local-state', async (next) => {
      await localState.applyConfig(next);
      ae.requestFullSync();
    });

    await this.hooks.starting.promise();
    for (const provider of registry.all('apiSurface')) {
      const surface = await provider.factory(services);
      await surface.start();
      this.surfaces.push(surface);
      this.onStop(`surface ${surface.name}`, () => surface.stop());
    }
    mountHttpContributions(this.surfaces);
    await this.hooks.started.promise();
    this.startWatches();
    // start_join (-join) before the banner, retry_join (-retry-join) in the background: Consul's order.
    await startupJoin(this.current.startJoin, agentService, (line) => process.stdout.write(`${line}\n`));
    this.banner(core.address);
    startRetryJoin({ config: this.current, agent: agentService, clock: this.clock, logger: log, onStop, fail: () => void this.shutdown(1) });
  }

  /**
   * Resolves once the agent has stopped, with the exit status its process should end with: 0
   * after a graceful leave through the API (or any stop), 1 after a fatal error (retry join
   * exhausted). `sextant agent` exits when it resolves.
   */
  terminated(): Promise<number> {
    return this.terminatedPromise;
  }

  /**
   * Leaves the LAN pool gracefully (Consul's Leave: the pool sees this agent `left`; a server
   * first leaves the Raft configuration, see serverLeave); the agent
   * keeps running until stopped. Used on SIGINT/SIGTERM before stopping, as Consul does.
   */
  async leave(): Promise<void> {
    await (this.leaveCluster ? this.leaveCluster() : this.membership?.leave());
  }

  /** Consul's ShutdownAgent after a leave (or a fatal error): stops the agent with `exitCode`. */
  private shutdown(exitCode: number): Promise<void> {
    this.exitCode = Math.max(this.exitCode, exitCode);
    this.logger.info('Requesting shutdown');
    return this.stop();
  }

  /** The config's `watches`, against this agent's HTTP API; a reload diffs them (unchanged ones keep running). */
  private startWatches(): void {
    const watches = new AgentWatches({
      clock: this.clock,
      logger: this.logger.child('watch'),
      httpAddr: () => this.surfaces.find((s) => s.name === 'http')?.addresses()[0],
      env: process.env,
    });
    const of = (c: RuntimeConfig): unknown[] => (Array.isArray(c.extra['watches']) ? (c.extra['watches'] as unknown[]) : []);
    watches.apply(of(this.current));
    this.onStop('watches', () => watches.stop());
    this.hooks.reload.tapPromise('watches', async (next) => watches.apply(of(next)));
  }

  private banner(serverAddr: string): void {
    const c = this.current;
    const http = this.surfaces.find((s) => s.name === 'http')?.addresses() ?? [];
    const dns = this.surfaces.find((s) => s.name === 'dns')?.addresses() ?? [];
    const lines = [
      `               Version: '${sextantVersion()}'`,
      `               Node ID: '${c.nodeId}'`,
      `             Node name: '${c.nodeName}'`,
      `            Datacenter: '${c.datacenter}'`,
      `                Server: ${c.server} (Bootstrap: ${c.bootstrap || c.dev})`,
      `           Client Addr: [${c.clientAddrs.join(' ')}] (HTTP: ${http.map((a) => a.split(':').pop()).join(',') || c.ports.http}, DNS: ${dns.map((a) => a.split(':').pop())[0] ?? c.ports.dns})`,
      `          Cluster Addr: ${serverAddr}`,
      `              Data Dir: ${c.dataDir ?? '(in memory)'}`,
      '',
      '==> Log data will now stream in as it occurs:',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  /**
   * Re-reads the configuration and applies what is reloadable (log level now; services, checks
   * and DNS settings through the reload hook). An invalid configuration is refused with
   * CONFIG_INVALID and the running configuration is kept. Reloads run one at a time.
   */
  reload(): Promise<void> {
    const next = this.reloading.then(() => this.reloadOnce());
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async reloadOnce(): Promise<void> {
    if (!this.opts.reloadConfig) {
      this.logger.warn('reload requested, but this agent has no configuration source to re-read');
      return;
    }
    let next: RuntimeConfig;
    try {
      next = await this.opts.reloadConfig();
    } catch (e) {
      this.logger.error('reload refused, keeping the running configuration', { error: e });
      if (isSextantError(e)) throw e;
      throw new SextantError(ErrorCode.ConfigInvalid, (e as Error).message, undefined, { cause: e });
    }
    const prev = this.current;
    next = Object.freeze({ ...next, nodeId: prev.nodeId, ports: Object.freeze({ ...next.ports, server: prev.ports.server }) });
    const restartOnly = nonReloadableChanges(prev, next);
    try {
      // A service or check the running agent cannot take (unknown kind, script checks disabled)
      // refuses the whole reload before anything changes.
      this.localState?.validateConfig(next);
    } catch (e) {
      const refusal = explainScriptRefusal(e, restartOnly);
      this.logger.error('reload refused, keeping the running configuration', { error: refusal });
      throw refusal;
    }
    if (restartOnly.length > 0) {
      this.logger.warn('these settings changed but take effect only after a restart', { keys: restartOnly.join(',') });
    }
    this.logger.setLevel(next.logLevel);
    this.current = next;
    await this.hooks.reload.promise(next, prev);
    this.logger.info('reload complete');
  }

  /** Stops surfaces first, then Raft, transport and storage (reverse start order). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.hooks.stopping.promise().catch((e: unknown) => this.logger.error('stopping hook failed', { error: e }));
      for (const step of this.teardown.reverse()) {
        try {
          await step.run();
        } catch (e) {
          this.logger.error(`stopping ${step.what} failed`, { error: e });
        }
      }
      this.surfaces = [];
      this.markTerminated(this.exitCode);
    })();
    return this.stopping;
  }
}

/**
 * A reload refused because script checks are disabled, while the new configuration enables
 * them: the switches are read at start (as Consul's), so say that plainly, since `sextant
 * validate` (which reads them from the files) accepts the same files.
 */
function explainScriptRefusal(e: unknown, restartOnly: readonly string[]): unknown {
  const switches = restartOnly.filter((k) => k === 'enable_script_checks' || k === 'enable_local_script_checks');
  if (!isSextantError(e) || switches.length === 0 || !e.message.includes('Scripts are disabled on this agent')) return e;
  return new SextantError(
    e.code,
    `${e.message} (${switches.join(' and ')} ${switches.length > 1 ? 'are' : 'is'} set in the new configuration, but ${switches.length > 1 ? 'they take' : 'it takes'} effect at the next start: restart the agent to run script checks)`,
    e.details,
    { cause: e },
  );
}
