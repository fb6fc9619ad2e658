import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../../src/cli/command.js';
import { forceLeaveCommand, joinCommand, keyringCommand, leaveCommand } from '../../../src/cli/commands/index.js';
import { COMMANDS, NOT_YET_COMMANDS } from '../../../src/cli/main.js';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { runCommand } from '../../support/run-command.js';
import { startSurface, type SurfaceHarness } from '../surface-rest/harness.js';

/** The pool commands' output against the REST surface over a fake AgentService. */

let h: SurfaceHarness;
beforeEach(async () => {
  h = await startSurface();
});
afterEach(async () => {
  await h.surface.stop();
});

const run = (cmd: Command, args: string[]) => runCommand(cmd, args, { SEXTANT_HTTP_ADDR: h.base });
const KEY = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const KEY2 = 'i0P+gFTkLPg0h53eNYjydg==';

describe('registered', () => {
  it('join, leave, force-leave and keyring are commands, no longer "not implemented yet"', () => {
    for (const name of ['join', 'leave', 'force-leave', 'keyring']) {
      expect(COMMANDS.has(name)).toBe(true);
      expect(NOT_YET_COMMANDS).not.toContain(name);
    }
  });
});

describe('sextant join', () => {
  it('joins through every address and says how many answered', async () => {
    expect(await run(joinCommand, ['127.0.0.2', '127.0.0.3:8301'])).toEqual({ code: 0, stdout: 'Successfully joined cluster by contacting 2 nodes.\n', stderr: '' });
    expect(h.agent.joins).toEqual([
      { addresses: ['127.0.0.2'], wan: false },
      { addresses: ['127.0.0.3:8301'], wan: false },
    ]);
  });

  it('-wan asks for the WAN pool', async () => {
    await run(joinCommand, ['-wan', '10.0.0.1']);
    expect(h.agent.joins).toEqual([{ addresses: ['10.0.0.1'], wan: true }]);
  });

  it('each failed address is reported; none joined: "Failed to join any nodes.", exit 1', async () => {
    h.agent.joinError = new SextantError(ErrorCode.JoinFailed, 'Failed to join 127.0.0.9: connection refused');
    const r = await run(joinCommand, ['127.0.0.9']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: "Error joining address '127.0.0.9': Unexpected response code: 500 (Failed to join 127.0.0.9: connection refused)\nFailed to join any nodes.\n",
    });
  });

  it('no address: the error and the help, exit 1', async () => {
    const r = await run(joinCommand, []);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^At least one address to join must be specified\.\n\nUsage: sextant join \[options\] address \.\.\./);
  });
});

describe('sextant leave', () => {
  it('"Graceful leave complete"', async () => {
    expect(await run(leaveCommand, [])).toEqual({ code: 0, stdout: 'Graceful leave complete\n', stderr: '' });
    expect(h.agent.leaves).toBe(1);
  });

  it('unexpected arguments are refused', async () => {
    const r = await run(leaveCommand, ['now']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error found unexpected args: [now]\n');
    expect(r.stdout).toContain('Usage: sextant leave [options]');
    expect(h.agent.leaves).toBe(0);
  });
});

describe('sextant force-leave', () => {
  it('silent on success; -prune and -wan are passed on', async () => {
    expect(await run(forceLeaveCommand, ['node-b'])).toEqual({ code: 0, stdout: '', stderr: '' });
    await run(forceLeaveCommand, ['-prune', '-wan', 'node-c']);
    expect(h.agent.forceLeaves).toEqual([
      { node: 'node-b', prune: false, wan: false },
      { node: 'node-c', prune: true, wan: true },
    ]);
  });

  it('an unknown node: "Error force leaving: …", exit 1', async () => {
    h.agent.forceLeaveError = new SextantError(ErrorCode.NotFound, "agent: No node found with name 'ghost'");
    expect(await run(forceLeaveCommand, ['ghost'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "Error force leaving: Unexpected response code: 500 (agent: No node found with name 'ghost')\n",
    });
  });

  it('not exactly one node name: the error and the help', async () => {
    const r = await run(forceLeaveCommand, ['a', 'b']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^A single node name must be specified to force leave\.\n\nUsage: sextant force-leave \[options\] name/);
  });
});

describe('sextant keyring', () => {
  it('-list: "==> Gathering installed encryption keys..." and the per-datacenter listing', async () => {
    h.agent.keyringResult = { messages: {}, numNodes: 3, numResp: 3, numErr: 0, keys: { [KEY]: 3, [KEY2]: 1 }, primaryKeys: { [KEY]: 3 } };
    const r = await run(keyringCommand, ['-list']);
    expect(r).toEqual({
      code: 0,
      stdout: `==> Gathering installed encryption keys...\n\ndc1 (LAN):\n  ${KEY2} [1/3]\n  ${KEY} [3/3]\n`,
      stderr: '',
    });
    expect(h.agent.keyrings[0]).toEqual({ operation: 'list', key: undefined, opts: { relayFactor: 0, localOnly: false } });
  });

  it('-list -local-only -relay-factor 2 are sent as Consul sends them', async () => {
    await run(keyringCommand, ['-list', '-local-only', '-relay-factor', '2']);
    expect(h.agent.keyrings[0]?.opts).toEqual({ relayFactor: 2, localOnly: true });
  });

  it('-install, -use, -remove: their "==>" line, exit 0', async () => {
    expect(await run(keyringCommand, ['-install', KEY2])).toEqual({ code: 0, stdout: '==> Installing new gossip encryption key...\n', stderr: '' });
    expect(await run(keyringCommand, ['-use', KEY2])).toEqual({ code: 0, stdout: '==> Changing primary gossip encryption key...\n', stderr: '' });
    expect(await run(keyringCommand, ['-remove', KEY])).toEqual({ code: 0, stdout: '==> Removing gossip encryption key...\n', stderr: '' });
    expect(h.agent.keyrings.map((k) => [k.operation, k.key])).toEqual([
      ['install', KEY2],
      ['use', KEY2],
      ['remove', KEY],
    ]);
  });

  it('a failed operation: "error: <the agent\'s answer>", exit 1', async () => {
    h.agent.keyringResult = { messages: { 'node-b': 'key not installed' }, numNodes: 2, numResp: 2, numErr: 1, keys: {}, primaryKeys: {} };
    const r = await run(keyringCommand, ['-use', KEY2]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('==> Changing primary gossip encryption key...\n');
    expect(r.stderr).toBe('error: Unexpected response code: 500 (2 errors occurred:\n\t* dc1 (LAN) error: 1/2 nodes reported failure\n\t* node-b: key not installed\n\n)\n');
  });

  it.each([
    [['-list', '-install', KEY], 'Only a single action is allowed\n'],
    [['-use', KEY, '-remove', KEY], 'Only a single action is allowed\n'],
    [['-list', '-relay-factor', '6'], 'Error parsing relay factor: Relay factor must be in range: [0, 5]\n'],
    [['-install', KEY, '-local-only'], 'Error validating local-only: local-only can only be set for list requests\n'],
  ])('%j → %s', async (args, stderr) => {
    expect(await run(keyringCommand, args)).toEqual({ code: 1, stdout: '', stderr });
    expect(h.agent.keyrings).toEqual([]);
  });

  it('no action: the help on stderr, exit 1', async () => {
    const r = await run(keyringCommand, []);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Usage: sextant keyring [options]');
  });
});
