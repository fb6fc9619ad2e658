import { sextantVersion } from '../../kernel/package-root.js';
import type { Command } from '../command.js';
import { defineHttpCommand } from './http-command.js';

/** The RPC/gossip protocol versions Sextant speaks (Consul's ProtocolVersionMin/Max and default). */
export const PROTOCOL = { default: 2, min: 2, max: 3 } as const;

/** `sextant version [-format=json]` — Consul's `version`. */
export const versionCommand: Command = defineHttpCommand({
  name: 'version',
  synopsis: 'Prints the Sextant version',
  usage: '[options]',
  description: '  Prints the version of this Sextant build.',
  http: false,
  flags: [{ name: 'format', kind: 'string', default: 'pretty', usage: 'Output format {pretty, json}' }],
  async run({ flags, out, err }) {
    const version = sextantVersion();
    const format = flags.values['format'] as string;
    if (format === 'json') {
      const info = { Version: version, Revision: '', Prerelease: '', FullVersion: version, BuildDate: '', RPC: { Default: PROTOCOL.default, Min: PROTOCOL.min, Max: PROTOCOL.max } };
      out(JSON.stringify(info, null, '  '));
      return 0;
    }
    if (format !== 'pretty') {
      err(`Invalid format: ${format}`);
      return 1;
    }
    out(`Sextant v${version}`);
    out(
      `Protocol ${PROTOCOL.default} spoken by default, understands ${PROTOCOL.min} to ${PROTOCOL.max} (agent will automatically use protocol >${PROTOCOL.default} when speaking to compatible agents)`,
    );
    return 0;
  },
});
