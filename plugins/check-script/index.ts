import { definePlugin } from '../../contracts/plugin.js';
import { ScriptCheckRunner } from './script-check-runner.js';

/** check-script: the `script` check kind (`args`, or legacy `script` via the shell). */
export default definePlugin({
  name: 'check-script',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Script checks: run a command; exit 0 passing, 1 warning, else critical',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide(
      'checkRunner',
      'script',
      (s) =>
        new ScriptCheckRunner({
          enableScriptChecks: s.config.enableScriptChecks,
          enableLocalScriptChecks: s.config.enableLocalScriptChecks,
          clock: s.clock,
          logger: s.logger.child('check.script'),
          checkOutputMaxSize: s.config.checkOutputMaxSize,
        }),
    );
  },
});
