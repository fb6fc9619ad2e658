import { CommandTag } from './command.js';
import { anyField, invalidCommand } from './command-fields.js';
import type { CommandEntries } from './command-entry.js';
import { checkSettings } from './autopilot-config-table.js';

/**
 * The autopilot command (wire tag 240, Consul's AutopilotRequestType): `[settings, cas]` where
 * settings is `[cleanupDeadServers, lastContactThresholdMs, maxTrailingLogs, minQuorum,
 * serverStabilizationTimeMs]` and cas a ModifyIndex or -1 (unconditional). Answers whether the
 * configuration was stored.
 */
export const AUTOPILOT_COMMANDS: CommandEntries<'autopilot.set-config'> = {
  'autopilot.set-config': {
    type: 'autopilot.set-config',
    tag: CommandTag.AutopilotSetConfig,
    version: 1,
    arity: 2,
    encode: (c) => [
      [c.settings.cleanupDeadServers, c.settings.lastContactThresholdMs, c.settings.maxTrailingLogs, c.settings.minQuorum, c.settings.serverStabilizationTimeMs],
      c.cas ?? -1,
    ],
    decode: (r) => {
      const s = anyField(r, 0);
      const cas = anyField(r, 1);
      const settings = Array.isArray(s) && s.length === 5
        ? checkSettings({ cleanupDeadServers: s[0], lastContactThresholdMs: s[1], maxTrailingLogs: s[2], minQuorum: s[3], serverStabilizationTimeMs: s[4] })
        : undefined;
      if (!settings) throw invalidCommand('field 2 of command tag 240 is not autopilot settings');
      if (typeof cas !== 'number' || !Number.isSafeInteger(cas) || cas < -1) throw invalidCommand('field 3 of command tag 240 is not an index or -1');
      return cas === -1 ? { type: 'autopilot.set-config', settings } : { type: 'autopilot.set-config', settings, cas };
    },
    apply: (t, idx, c) => t.autopilot.set(idx, c.settings, c.cas),
  },
};
