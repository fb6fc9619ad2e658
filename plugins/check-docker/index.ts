import { definePlugin } from '../../contracts/plugin.js';
import { DockerCheckRunner } from './docker-check-runner.js';

/** check-docker: the `docker` check kind (exec in a container through the Docker Engine API on $DOCKER_HOST). */
export default definePlugin({
  name: 'check-docker',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Docker checks: run a command in a container; exit 0 passing, 1 warning, else critical',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide(
      'checkRunner',
      'docker',
      (s) =>
        new DockerCheckRunner({
          enableScriptChecks: s.config.enableScriptChecks,
          enableLocalScriptChecks: s.config.enableLocalScriptChecks,
          clock: s.clock,
          logger: s.logger.child('check.docker'),
          dockerHost: process.env.DOCKER_HOST,
          defaultShell: process.env.SHELL || '/bin/sh',
          checkOutputMaxSize: s.config.checkOutputMaxSize,
        }),
    );
  },
});
