import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentFlags } from '../../../src/cli/agent-flags.js';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { REPO_ROOT } from '../../support/agent-process.js';
import { runCommand } from '../../support/run-command.js';

/**
 * examples/cluster's container files cannot run here (no Docker, no Kubernetes), so this checks
 * what would break them: the compose file's shape and every agent command line in it (parsed by
 * the agent's own flag parser), the Dockerfile it builds, and the Kubernetes manifests' kinds,
 * DNS names and agent JSON config (checked by `sextant validate`). No YAML library is a
 * dependency, so the YAML is read line by line: the files keep to block style with flow arrays
 * on one line.
 */

const DIR = join(REPO_ROOT, 'examples', 'cluster');
const read = (p: string): string => readFileSync(join(DIR, p), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'sextant-cluster-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The keys of a YAML block mapping at `indent` spaces, each with the lines of its body. */
function blockMap(lines: readonly string[], indent: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  const key = new RegExp(`^ {${indent}}([A-Za-z0-9_.-]+):(.*)$`);
  for (const line of lines) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = key.exec(line);
    if (m) {
      current = [];
      out.set(m[1]!, current);
      if (m[2]!.trim() !== '') current.push(m[2]!.trim());
    } else if (line.startsWith(' '.repeat(indent + 1))) current?.push(line);
    else if (!line.startsWith(' '.repeat(indent))) current = undefined;
  }
  return out;
}

/** The value of `key: [ ...JSON array... ]` in a block. */
function flowArray(body: readonly string[], key: string): string[] {
  const line = body.find((l) => l.trim().startsWith(`${key}:`));
  if (!line) throw new Error(`no ${key}`);
  return JSON.parse(line.trim().slice(key.length + 1)) as string[];
}

describe('examples/cluster/docker-compose.yml', () => {
  const text = read('docker-compose.yml');
  const lines = text.split('\n');

  it('is block YAML with services and volumes, and builds the Dockerfile next to it', () => {
    expect(text).not.toMatch(/\t/);
    const top = blockMap(lines, 0);
    expect([...top.keys()]).toEqual(['x-agent', 'services', 'volumes']);
    const agent = top.get('x-agent')!.join('\n');
    expect(agent).toMatch(/context: \.\.\/\.\./);
    const dockerfile = /dockerfile: (\S+)/.exec(agent)![1]!;
    expect(existsSync(join(REPO_ROOT, dockerfile))).toBe(true);
    const services = blockMap(top.get('services')!, 2);
    expect([...services.keys()]).toEqual(['server-1', 'server-2', 'server-3', 'client-1', 'client-2', 'client-3']);
    const declared = [...blockMap(top.get('volumes')!, 2).keys()];
    for (const [name, body] of services) {
      expect(body[0]?.trim(), name).toBe('<<: *agent');
      for (const v of body.filter((l) => /^ {6}- [a-z0-9-]+:\/sextant\/data$/.test(l))) expect(declared).toContain(v.trim().slice(2).split(':')[0]);
    }
  });

  it('runs 3 servers expecting 3 that join each other, and 3 clients that join the servers', () => {
    const services = blockMap(blockMap(lines, 0).get('services')!, 2);
    for (const [name, body] of services) {
      const flags = parseAgentFlags(flowArray(body, 'command'));
      expect(flags.args, name).toEqual([]);
      const o = flags.overrides as Record<string, unknown>;
      expect(o['node_name']).toBe(name);
      expect(o['data_dir']).toBe('/sextant/data');
      expect(o['client_addr']).toBe('0.0.0.0');
      const joins = o['retry_join'] as string[];
      if (name.startsWith('server-')) {
        expect(o['server']).toBe(true);
        expect(o['bootstrap_expect']).toBe(3);
        expect(joins.sort()).toEqual(['server-1', 'server-2', 'server-3'].filter((s) => s !== name));
      } else {
        expect(o['server']).toBeUndefined();
        expect(joins).toEqual(['server-1', 'server-2', 'server-3']);
      }
    }
  });
});

describe('examples/cluster/Dockerfile', () => {
  const text = read('Dockerfile');

  it('builds on node:20-slim with npm ci and the TypeScript build, and runs `sextant agent`', () => {
    expect(text).toMatch(/^FROM node:20-slim AS build$/m);
    expect(text).toMatch(/^FROM node:20-slim$/m);
    expect(text).toMatch(/^RUN npm ci/m);
    expect(text).toMatch(/npx tsc -p tsconfig\.build\.json/);
    expect(text).toMatch(/^COPY --from=build \/opt\/sextant \.\/$/m);
    expect(text).toMatch(/^ENTRYPOINT \["node", "\/opt\/sextant\/bin\/sextant\.js", "agent"\]$/m);
    for (const m of text.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)) for (const src of m[1]!.split(' ')) expect(existsSync(join(REPO_ROOT, src)), src).toBe(true);
  });

  it("builds sqlite3's native binding even though npm ci skips install scripts", () => {
    // Without it the image held no binding, and every agent with a data dir died at start
    // ("Could not locate the bindings file"), found by building and running the image.
    expect(text).toMatch(/^RUN npm ci --ignore-scripts && npm rebuild sqlite3$/m);
    expect(text).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
  });
});

describe('examples/cluster/k8s', () => {
  const docs = ['namespace.yaml', 'config.yaml', 'server.yaml', 'client.yaml'].flatMap((f) => read(join('k8s', f)).split(/^---$/m).map((d) => ({ f, d })));
  const kind = (d: string): string => /^kind: (\S+)$/m.exec(d)?.[1] ?? '';
  const byKind = (k: string): string => docs.find((x) => kind(x.d) === k)!.d;

  it('has a namespace, a ConfigMap, a headless Service with a StatefulSet of 3 servers, and a DaemonSet of clients', () => {
    expect(docs.map((x) => kind(x.d))).toEqual(['Namespace', 'ConfigMap', 'Service', 'StatefulSet', 'DaemonSet']);
    for (const { d } of docs) {
      expect(d).not.toMatch(/\t/);
      expect(d).toMatch(/^apiVersion: \S+$/m);
      if (kind(d) !== 'Namespace') expect(d).toMatch(/^ {2}namespace: sextant$/m);
    }
    const svc = byKind('Service');
    expect(svc).toMatch(/^ {2}clusterIP: None$/m);
    const sts = byKind('StatefulSet');
    expect(sts).toMatch(/^ {2}serviceName: sextant-server$/m);
    expect(sts).toMatch(/^ {2}replicas: 3$/m);
    expect(sts).toMatch(/volumeClaimTemplates:/);
    expect(byKind('DaemonSet')).toMatch(/-config-file=\/sextant\/config\/common\.json/);
    expect(byKind('DaemonSet')).not.toMatch(/server\.json/);
  });

  it('the ConfigMap holds agent JSON that `sextant validate` accepts, joining the servers by their StatefulSet DNS names', async () => {
    const data = blockMap(byKind('ConfigMap').split('\n'), 0).get('data')!;
    const files = blockMap(data, 2);
    expect([...files.keys()]).toEqual(['common.json', 'server.json']);
    const json = new Map([...files].map(([k, body]) => [k, body.slice(1).map((l) => l.slice(4)).join('\n')]));
    expect([...files.values()].every((b) => b[0]?.trim() === '|')).toBe(true);
    const common = JSON.parse(json.get('common.json')!) as { retry_join: string[] };
    expect(common.retry_join).toEqual([0, 1, 2].map((i) => `sextant-server-${i}.sextant-server.sextant.svc`));
    expect(JSON.parse(json.get('server.json')!)).toMatchObject({ server: true, bootstrap_expect: 3 });
    for (const [k, v] of json) writeFileSync(join(tmp, k), v);
    // The pods pass -advertise=$(POD_IP) (bind_addr is 0.0.0.0); here a file stands in for the flag.
    expect(byKind('StatefulSet')).toContain('"-advertise=$(POD_IP)"');
    expect(byKind('DaemonSet')).toContain('"-advertise=$(POD_IP)"');
    writeFileSync(join(tmp, 'advertise.json'), JSON.stringify({ advertise_addr: '10.1.2.3' }));
    const files_ = (...names: string[]): string[] => names.map((n) => join(tmp, n));
    // A client loads common.json; a server loads both (as the manifests' -config-file flags say).
    expect(await runCommand(validateCommand, files_('common.json', 'advertise.json'), {})).toEqual({ code: 0, stdout: 'Configuration is valid!\n', stderr: '' });
    expect(await runCommand(validateCommand, files_('common.json', 'server.json', 'advertise.json'), {})).toEqual({
      code: 0,
      stdout: 'Configuration is valid!\n',
      stderr: 'WARNING: bootstrap_expect > 0: expecting 3 servers\n',
    });
  });
});
