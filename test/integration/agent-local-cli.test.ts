import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { maintCommand, servicesDeregisterCommand, servicesRegisterCommand } from '../../src/cli/commands/index.js';
import { startLocalApi } from '../unit/agent/rest-harness.js';
import type { LocalApiHarness } from '../unit/agent/rest-harness.js';
import { runCommand } from '../support/run-command.js';

let h: LocalApiHarness;
const dir = mkdtempSync(join(tmpdir(), 'sextant-services-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  h = await startLocalApi();
});
afterEach(async () => {
  await h.stop();
});

function run(cmd: Command, args: string[]) {
  return runCommand(cmd, args, { SEXTANT_HTTP_ADDR: h.base, CONSUL_HTTP_ADDR: h.base });
}

describe('sextant services register / deregister', () => {
  it('registers from flags and deregisters by -id', async () => {
    expect(await run(servicesRegisterCommand, ['-name', 'web', '-id', 'web-1', '-tag', 'a', '-tag', 'b', '-port', '8080', '-address', '10.0.0.1', '-meta', 'v=2'])).toEqual({
      code: 0,
      stdout: 'Registered service: web\n',
      stderr: '',
    });
    expect(h.state.services()['web-1']).toMatchObject({ Service: 'web', Tags: ['a', 'b'], Port: 8080, Address: '10.0.0.1', Meta: { v: '2' } });
    expect(await run(servicesDeregisterCommand, ['-id', 'web-1'])).toEqual({ code: 0, stdout: 'Deregistered service: web-1\n', stderr: '' });
    expect(h.state.services()).toEqual({});
  });

  it('registers and deregisters from a config-format file (service and services)', async () => {
    const file = join(dir, 'svc.json');
    writeFileSync(file, JSON.stringify({ service: { name: 'api', port: 9000, check: { ttl: '10s' } }, services: [{ Name: 'db', ID: 'db-1' }] }));
    expect(await run(servicesRegisterCommand, [file])).toEqual({ code: 0, stdout: 'Registered service: api\nRegistered service: db\n', stderr: '' });
    expect(Object.keys(h.state.services())).toEqual(['api', 'db-1']);
    expect(Object.keys(h.state.checks())).toEqual(['service:api']);
    expect(await run(servicesDeregisterCommand, [file])).toEqual({ code: 0, stdout: 'Deregistered service: api\nDeregistered service: db-1\n', stderr: '' });
    expect(h.state.services()).toEqual({});
  });

  it('reports bad usage and agent errors', async () => {
    expect(await run(servicesRegisterCommand, [])).toMatchObject({ code: 1, stderr: 'Service registration requires at least one argument or flags.\n' });
    expect(await run(servicesDeregisterCommand, [])).toMatchObject({ code: 1, stderr: 'Service deregistration requires at least one argument or -id.\n' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ service: { name: 'x', check: { http: 'http://x' } } }));
    expect(await run(servicesRegisterCommand, [bad])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error registering service "x": Unexpected response code: 400 (Invalid check: interval is required for http checks (and must be > 0))\n',
    });
    const deep = join(dir, 'deep.json');
    writeFileSync(deep, `{"service": {"name": "d", "meta": ${'['.repeat(100_000)}}}`);
    expect(await run(servicesRegisterCommand, [deep])).toEqual({ code: 1, stdout: '', stderr: `Error loading ${deep}: nesting deeper than 64 levels\n` });
    expect((await run(servicesDeregisterCommand, ['-id', 'nope'])).stderr).toBe(
      'Error deregistering service "nope": Unexpected response code: 404 (Unknown service ID "nope". Ensure that the service ID is passed, not the service name.)\n',
    );
  });
});

describe('sextant maint', () => {
  it('enables, lists and disables node and service maintenance with Consul texts', async () => {
    await h.state.registerService({ Name: 'redis' }, { replaceExistingChecks: false });
    expect(await run(maintCommand, [])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await run(maintCommand, ['-enable', '-reason', 'kernel upgrade'])).toEqual({ code: 0, stdout: 'Node entered maintenance mode\n', stderr: '' });
    expect(await run(maintCommand, ['-enable', '-service', 'redis'])).toEqual({ code: 0, stdout: 'Service entered maintenance mode: redis\n', stderr: '' });
    expect((await run(maintCommand, [])).stdout).toBe(
      [
        'Node:',
        '  Name:   node-a',
        '  Reason: kernel upgrade',
        '',
        'Service:',
        '  ID:     redis',
        '  Reason: Maintenance mode is enabled for this service, but no reason was provided. This is a default message.',
        '',
        '',
      ].join('\n'),
    );
    expect(await run(maintCommand, ['-disable', '-service', 'redis'])).toEqual({ code: 0, stdout: 'Service left maintenance mode: redis\n', stderr: '' });
    expect(await run(maintCommand, ['-disable'])).toEqual({ code: 0, stdout: 'Node left maintenance mode\n', stderr: '' });
    expect(h.state.checks()).toEqual({});
  });

  it('refuses conflicting flags and reports an unknown service', async () => {
    expect(await run(maintCommand, ['-enable', '-disable'])).toMatchObject({ code: 1, stderr: 'Only one of -enable or -disable may be provided\n' });
    expect(await run(maintCommand, ['-reason', 'x'])).toMatchObject({ code: 1, stderr: 'Reason may only be provided with -enable\n' });
    expect(await run(maintCommand, ['-service', 'x'])).toMatchObject({ code: 1, stderr: 'Service requires either -enable or -disable\n' });
    expect(await run(maintCommand, ['-enable', '-service', 'ghost'])).toMatchObject({
      code: 1,
      stderr: 'Error enabling service maintenance: Unexpected response code: 404 (No service registered with ID "ghost")\n',
    });
  });
});
