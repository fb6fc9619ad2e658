import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startAgent } from '../support/agent-process.js';

// `sextant validate <dir>` (the built CLI) refuses every kind of bad service/check definition the
// agent refuses (issue 3 "Bad input"), with exit code 1 and `file: /pointer: message`, by the
// same code as agent start (which refuses before anything is started) and reload; a directory
// using a plugin's check kind validates (exit 0).

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sextant-validate-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh config dir with a base file (data_dir, as `validate` requires) and `file` = `content`. */
function configDir(file: string, content: unknown, base: Record<string, unknown> = {}): { dir: string; path: string } {
  const dir = join(tmp, `conf-${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, '00-base.json'), JSON.stringify({ data_dir: join(dir, 'data'), ...base }));
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(content));
  return { dir, path };
}

const BAD: readonly { what: string; content: unknown; base?: Record<string, unknown>; pointer: string; message: string }[] = [
  {
    what: 'an http check without interval',
    content: { service: { name: 'api', port: 9000, check: { http: 'http://localhost:9000/health' } } },
    pointer: '/service/check',
    message: 'Invalid check: interval is required for http checks (and must be > 0)',
  },
  {
    what: 'a negative interval',
    content: { service: { name: 'api', checks: [{ tcp: 'localhost:9000', interval: '5s' }, { tcp: 'localhost:9001', interval: '-5s' }] } },
    pointer: '/service/checks/1/interval',
    message: 'must not be negative, got "-5s"',
  },
  {
    what: 'an unparsable duration',
    content: { check: { name: 'c', ttl: '10 s' } },
    pointer: '/check/ttl',
    message: 'time: unknown unit " s" in duration "10 s"',
  },
  {
    what: "a check whose service_id names no service",
    content: { check: { name: 'orphan', ttl: '10s', service_id: 'ghost' } },
    pointer: '/check/service_id',
    message: 'service_id "ghost" does not name a registered service',
  },
  {
    what: 'a script check while script checks are disabled',
    content: { service: { name: 'web', check: { args: ['curl', '-sf', 'localhost'], interval: '10s' } } },
    pointer: '/service/check',
    message: "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true",
  },
  {
    what: 'a check of no known kind',
    content: { checks: [{ name: 'nothing', interval: '10s' }] },
    pointer: '/checks/0',
    message: 'Invalid check: the check has no kind',
  },
  {
    what: 'a plugin check kind that is not loaded',
    content: { service: { name: 'app', check: { file_exists: '/tmp/ready', interval: '5s' } } },
    pointer: '/service/check/file_exists',
    message: 'unknown key',
  },
  {
    what: 'a service without a name',
    content: { service: { port: 80 } },
    pointer: '/service/name',
    message: 'is required',
  },
  {
    what: 'a duplicate service id',
    content: { services: [{ name: 'web', port: 80 }, { name: 'web', port: 81 }] },
    pointer: '/services/1',
    message: 'duplicate service id "web"',
  },
  {
    what: 'an API-style key that Consul does not translate, in an API-style definition',
    content: { Service: { Name: 'web', EnableTagOverride: true, Check: { HTTP: 'http://localhost/', Intervall: '10s' } } },
    pointer: '/Service/EnableTagOverride',
    message: 'unknown key (did you mean "enable_tag_override"?)',
  },
  {
    what: 'a typo under keys spelt in CamelCase',
    content: { Service: { Name: 'web', Check: { HTTP: 'http://localhost/', Intervall: '10s' } } },
    pointer: '/Service/Check/Intervall',
    message: 'unknown key (did you mean "interval"?)',
  },
  {
    what: 'an interval missing under keys spelt in CamelCase',
    content: { Service: { Name: 'web', Checks: [{ TTL: '10s' }, { HTTP: 'http://localhost/' }] } },
    pointer: '/Service/Checks/1',
    message: 'Invalid check: interval is required for http checks',
  },
  {
    what: 'a negative dns_config.recursor_timeout',
    content: { dns_config: { recursor_timeout: '-1s' } },
    pointer: '/dns_config/recursor_timeout',
    message: 'must not be negative, got "-1s"',
  },
  {
    what: 'a negative dns_config.service_ttl entry',
    content: { dns_config: { service_ttl: { '*': '5s', web: '-30s' } } },
    pointer: '/dns_config/service_ttl/web',
    message: 'must not be negative, got "-30s"',
  },
];

describe('sextant validate <dir> (built CLI)', () => {
  for (const bad of BAD) {
    it(`refuses ${bad.what}: exit 1, file and pointer`, async () => {
      const { dir, path } = configDir('svc.json', bad.content, bad.base);
      const out = await runCli(['validate', dir]);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('Config validation failed:');
      expect(out.stderr).toContain(`${path}: ${bad.pointer}: ${bad.message}`);
      expect(out.stdout).not.toContain('Configuration is valid!');
    });
  }

  it('accepts a script check when enable_local_script_checks allows config-file scripts', async () => {
    const { dir } = configDir('svc.json', { service: { name: 'web', check: { args: ['true'], interval: '10s' } } }, { enable_local_script_checks: true });
    const out = await runCli(['validate', dir]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
  });

  it('accepts an API-style definition pasted into a config file, as Consul does', async () => {
    const { dir } = configDir('web.json', {
      Service: {
        Name: 'web',
        Port: 80,
        Tags: ['rails'],
        Meta: { Version: '1' },
        Check: { HTTP: 'http://localhost/health', Interval: '10s', TLSSkipVerify: true, DeregisterCriticalServiceAfter: '90m' },
      },
      Checks: [{ Name: 'ttl', TTL: '30s', ServiceID: 'web' }],
    });
    const out = await runCli(['validate', dir]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe('Configuration is valid!');
  });

  it("accepts a plugin's check kind when the directory lists the plugin, validated with the plugin's own rules", async () => {
    const conf = join(tmp, 'plugin-conf');
    cpSync(join(REPO_ROOT, 'examples'), conf, { recursive: true });
    const file = join(conf, 'agent.json');
    const write = (path: string): void =>
      writeFileSync(
        file,
        JSON.stringify({
          data_dir: join(tmp, 'plugin-data'),
          plugins: ['./plugins/check-file-exists'],
          plugin_config: { 'check-file-exists': { allowed_roots: [tmp] } },
          service: { name: 'app', port: 8080, check: { file_exists: path, interval: '5s' } },
          // A plugin's field matches in any case, like a core one.
          check: { name: 'flag', File_Exists: join(tmp, 'flag'), Interval: '5s' },
        }),
      );
    write(join(tmp, 'ready'));
    const good = await runCli(['validate', conf]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout.trim()).toBe('Configuration is valid!');
    // The runner's own validation (built with plugin_config) applies too.
    write('/etc/ready');
    const outside = await runCli(['validate', conf]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(`${file}: /service/check: file_exists: "/etc/ready" is outside the allowed roots (${tmp})`);
  });
});

describe('agent start and reload refuse the same definitions with the same message', () => {
  it('agent start refuses before anything is started (no data dir, no Raft), with the validate message', async () => {
    const { dir, path } = configDir('svc.json', { service: { name: 'api', check: { http: 'http://localhost:9000/health' } } });
    const line = `${path}: /service/check: Invalid check: interval is required for http checks (and must be > 0)`;
    const validate = await runCli(['validate', dir]);
    expect(validate.stderr).toContain(line);
    const start = await runCli(['agent', '-config-dir', dir, '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`==> ${line}`);
    expect(start.stderr + start.stdout).not.toMatch(/raft|Starting Sextant agent/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('reload refuses a bad definition with the validate message and keeps running', async () => {
    const { dir } = configDir('svc.json', { service: { name: 'api', port: 9000, check: { ttl: '30s' } } });
    const agent = await startAgent(['-dev', '-config-dir', dir, '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
    try {
      const bad = join(dir, 'zz-bad.json');
      writeFileSync(bad, JSON.stringify({ check: { name: 'x', args: ['true'], interval: '10s' } }));
      const line = `${bad}: /check: Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true`;
      expect((await runCli(['validate', dir])).stderr).toContain(line);
      const reload = await runCli(['reload', '-http-addr', agent.httpAddr]);
      expect(reload.code).toBe(1);
      expect(reload.stderr).toContain(line);
      const checks = (await (await fetch(`${agent.httpAddr}/v1/agent/checks`)).json()) as Record<string, unknown>;
      expect(Object.keys(checks)).toEqual(['service:api']);
    } finally {
      await agent.stop();
    }
  });
});
