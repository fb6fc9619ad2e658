// An example third-party Sextant plugin: an ApiSurface that counts committed KV changes (via
// the kvChanged hook) and serves the counts as Prometheus text on its own port.
//
// Load it from a config directory:
//   { "plugins": ["./plugins/kv-change-counter"],
//     "plugin_config": { "kv-change-counter": { "port": 9105 } } }
//
// It is plain JavaScript on purpose: this is what a plugin published to npm looks like. Its types
// (JSDoc) come from the plugin SDK, `sextant/plugin-sdk`, the one Sextant module a plugin imports;
// a plugin that also uses the SDK's helpers at runtime declares `sextant` as a peer dependency.
import { createServer } from 'node:http';

/** @type {import('sextant/plugin-sdk').PluginManifest} */
export default {
  name: 'kv-change-counter',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Counts KV changes and serves them as Prometheus metrics',
  configSchema: {
    type: 'object',
    properties: {
      address: { type: 'string', default: '127.0.0.1' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 9105 },
    },
    additionalProperties: false,
  },
  register(ctx) {
    const counts = { changes: 0, keys: 0, lastIndex: 0 };
    ctx.hooks.kvChanged.tap(ctx.name, (change) => {
      counts.changes += 1;
      counts.keys += change.keys.length;
      counts.lastIndex = change.index;
    });
    ctx.provide('apiSurface', 'kv-change-counter', () => new CounterSurface(ctx.pluginConfig, counts));
  },
};

class CounterSurface {
  name = 'kv-change-counter';
  #server = undefined;
  #bound = [];

  constructor(config, counts) {
    this.config = config;
    this.counts = counts;
  }

  async start() {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        `# TYPE sextant_kv_changes_total counter\nsextant_kv_changes_total ${this.counts.changes}\n` +
          `# TYPE sextant_kv_keys_changed_total counter\nsextant_kv_keys_changed_total ${this.counts.keys}\n` +
          `# TYPE sextant_kv_last_index gauge\nsextant_kv_last_index ${this.counts.lastIndex}\n`,
      );
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.address, resolve);
    });
    this.#server = server;
    const a = server.address();
    this.#bound = [`${a.address}:${a.port}`];
  }

  addresses() {
    return this.#bound;
  }

  async stop() {
    const s = this.#server;
    this.#server = undefined;
    this.#bound = [];
    if (s) await new Promise((resolve) => s.close(() => resolve()));
  }
}
