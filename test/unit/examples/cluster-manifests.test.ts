import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { parseAgentFlags } from '../../../src/cli/agent-flags.js';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { REPO_ROOT } from '../../support/agent-process.js';
import { type K8sObject, apiRuleErrors, field, schemaErrors, unknownFieldErrors } from '../../support/k8s-manifest-check.js';
import { runCommand } from '../../support/run-command.js';

/**
 * examples/cluster's container files cannot run in the test suite (no Docker engine, no
 * Kubernetes), so this checks what would break them: the compose file and every agent command
 * line in it (parsed by the agent's own flag parser), the Dockerfile it builds, and the
 * Kubernetes manifests against the Kubernetes OpenAPI schema, strict field validation and the
 * API server's other rules (test/support/k8s-manifest-check.ts), with the agent JSON config in
 * them checked by `sextant validate`. compose-check.sh and k8s-check.sh run them with podman.
 */

const DIR = join(REPO_ROOT, 'examples', 'cluster');
const read = (p: string): string => readFileSync(join(DIR, p), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'sextant-cluster-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('examples/cluster/docker-compose.yml', () => {
  const doc = parseDocument(read('docker-compose.yml'), { merge: true });
  const compose = doc.toJS() as {
    services: Record<string, { build: { context: string; dockerfile: string }; image: string; command: string[]; volumes?: string[] }>;
    volumes: Record<string, unknown>;
  };

  it('is valid YAML whose services all build the Dockerfile next to it, with declared volumes', () => {
    expect(doc.errors).toEqual([]);
    const services = compose.services;
    expect(Object.keys(services)).toEqual(['server-1', 'server-2', 'server-3', 'client-1', 'client-2', 'client-3']);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toBe('sextant:local');
      expect(s.build.context, name).toBe('../..');
      expect(existsSync(join(REPO_ROOT, s.build.dockerfile)), name).toBe(true);
      for (const v of s.volumes ?? []) expect(Object.keys(compose.volumes)).toContain(v.split(':')[0]);
    }
  });

  it('runs 3 servers expecting 3 that join each other, and 3 clients that join the servers', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const flags = parseAgentFlags(s.command);
      expect(flags.args, name).toEqual([]);
      const o = flags.overrides as Record<string, unknown>;
      expect(o['node_name']).toBe(name);
      expect(o['data_dir']).toBe('/sextant/data');
      expect(o['client_addr']).toBe('0.0.0.0');
      const joins = o['retry_join'] as string[];
      if (name.startsWith('server-')) {
        expect(o['server']).toBe(true);
        expect(o['bootstrap_expect']).toBe(3);
        expect(joins.sort()).toEqual(['server-1', 'server-2', 'server-3'].filter((x) => x !== name));
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
  const objects = ['namespace.yaml', 'config.yaml', 'server.yaml', 'client.yaml'].flatMap((f) =>
    parseAllDocuments(read(join('k8s', f))).map((d) => {
      expect(d.errors, f).toEqual([]);
      return d.toJS() as K8sObject;
    }),
  );
  const byKind = (k: string): K8sObject => objects.find((o) => o.kind === k)!;
  const container = (k: string): { args: string[] } => (field(byKind(k), 'spec.template.spec.containers') as { args: string[] }[])[0]!;

  it('has a namespace, a ConfigMap, a headless Service with a StatefulSet of 3 servers, and a DaemonSet of clients', () => {
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap', 'Service', 'StatefulSet', 'DaemonSet']);
    expect(field(byKind('Service'), 'spec.clusterIP')).toBe('None');
    expect(field(byKind('StatefulSet'), 'spec.serviceName')).toBe('sextant-server');
    expect(field(byKind('StatefulSet'), 'spec.replicas')).toBe(3);
    expect(container('StatefulSet').args).toEqual(expect.arrayContaining(['-config-file=/sextant/config/common.json', '-config-file=/sextant/config/server.json']));
    expect(container('DaemonSet').args).toContain('-config-file=/sextant/config/common.json');
    expect(container('DaemonSet').args.join(' ')).not.toMatch(/server\.json/);
  });

  it("passes the Kubernetes API's OpenAPI schema", () => {
    expect(schemaErrors(objects)).toEqual([]);
    // The check can fail: a replica count given as a string is refused.
    const broken = structuredClone(byKind('StatefulSet'));
    (broken['spec'] as Record<string, unknown>)['replicas'] = '3';
    expect(schemaErrors([broken])).toEqual([expect.stringContaining('replicas must be integer')]);
  });

  it("has no unknown field anywhere, as kubectl apply's strict validation requires", () => {
    expect(unknownFieldErrors(objects)).toEqual([]);
    // A misspelt field deep inside the pod template is found.
    const broken = structuredClone(byKind('DaemonSet'));
    (field(broken, 'spec.template.spec.containers') as Record<string, unknown>[])[0]!['imagePullPolicyy'] = 'Never';
    expect(unknownFieldErrors([broken])).toEqual([expect.stringMatching(/imagePullPolicyy.*does not exist in type 'IContainer'/)]);
  }, 60_000);

  it("keeps the API server's and kubelet's rules that no schema states", () => {
    expect(apiRuleErrors(objects)).toEqual([]);
    // Each of these breaks a cluster that the schema alone lets through.
    const sts = structuredClone(byKind('StatefulSet'));
    (field(sts, 'spec.template.metadata.labels') as Record<string, string>)['component'] = 'srv';
    (field(sts, 'spec.template.spec.containers') as { args: string[] }[])[0]!.args.push('-node=$(NODE_NAME)');
    const svc = structuredClone(byKind('Service'));
    delete (svc['spec'] as Record<string, unknown>)['clusterIP'];
    expect(apiRuleErrors([byKind('Namespace'), svc, sts])).toEqual([
      'StatefulSet sextant-server: selector component=server does not match the template\'s labels',
      'StatefulSet sextant-server: its Service is not headless (clusterIP: None): pods get no DNS names',
      "StatefulSet sextant-server: its Service's selector component=server does not select its pods",
      'StatefulSet sextant-server: -node=$(NODE_NAME): $(NODE_NAME) is not a variable of the container',
    ]);
  });

  it('the ConfigMap holds agent JSON that `sextant validate` accepts, joining the servers by their StatefulSet DNS names', async () => {
    const data = field(byKind('ConfigMap'), 'data') as Record<string, string>;
    expect(Object.keys(data)).toEqual(['common.json', 'server.json']);
    const common = JSON.parse(data['common.json']!) as { retry_join: string[] };
    // <pod>.<headless service>.<namespace>.svc, for each of the StatefulSet's replicas.
    const sts = byKind('StatefulSet');
    const replicas = field(sts, 'spec.replicas') as number;
    const dns = (i: number): string => `${String(field(sts, 'metadata.name'))}-${i}.${String(field(sts, 'spec.serviceName'))}.${String(field(sts, 'metadata.namespace'))}.svc`;
    expect(common.retry_join).toEqual(Array.from({ length: replicas }, (_, i) => dns(i)));
    expect(JSON.parse(data['server.json']!)).toMatchObject({ server: true, bootstrap_expect: replicas });
    for (const [k, v] of Object.entries(data)) writeFileSync(join(tmp, k), v);
    // The pods pass -advertise=$(POD_IP) (bind_addr is 0.0.0.0); here a file stands in for the flag.
    expect(container('StatefulSet').args).toContain('-advertise=$(POD_IP)');
    expect(container('DaemonSet').args).toContain('-advertise=$(POD_IP)');
    writeFileSync(join(tmp, 'advertise.json'), JSON.stringify({ advertise_addr: '10.1.2.3' }));
    const files = (...names: string[]): string[] => names.map((n) => join(tmp, n));
    // A client loads common.json; a server loads both (as the manifests' -config-file flags say).
    expect(await runCommand(validateCommand, files('common.json', 'advertise.json'), {})).toEqual({ code: 0, stdout: 'Configuration is valid!\n', stderr: '' });
    expect(await runCommand(validateCommand, files('common.json', 'server.json', 'advertise.json'), {})).toEqual({
      code: 0,
      stdout: 'Configuration is valid!\n',
      stderr: 'WARNING: bootstrap_expect > 0: expecting 3 servers\n',
    });
  });
});
