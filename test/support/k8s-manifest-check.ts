import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import ts from 'typescript';
import { REPO_ROOT } from './agent-process.js';

/** A Kubernetes object as parsed from YAML. */
export type K8sObject = { apiVersion: string; kind: string } & Record<string, unknown>;

/** The kinds examples/cluster/k8s uses: their kubernetes-models class and TypeScript interface. */
const KINDS: Record<string, { model: new (o: never) => { validate(): void }; module: string; type: string }> = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/StatefulSet': { model: StatefulSet, module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'apps/v1/DaemonSet': { model: DaemonSet, module: 'kubernetes-models/apps/v1/DaemonSet', type: 'IDaemonSet' },
};

function kindOf(o: K8sObject): (typeof KINDS)[string] {
  const k = KINDS[`${o.apiVersion}/${o.kind}`];
  if (!k) throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
  return k;
}

/**
 * Validates each object against the Kubernetes OpenAPI schema (kubernetes-models' compiled
 * validators: types, enums, required fields). Returns one message per object that fails.
 */
export function schemaErrors(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    try {
      new (kindOf(o).model)(o as never).validate();
    } catch (e) {
      out.push(`${o.kind}: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * What `kubectl apply`'s strict field validation (the default since Kubernetes 1.25) adds to
 * the schema: no unknown or misspelt field anywhere. Each object becomes an object literal
 * typed with kubernetes-models' interface in a virtual TypeScript file, and the compiler's
 * excess-property check walks it. Returns the compiler's messages (empty when all are clean).
 */
export function unknownFieldErrors(objects: readonly K8sObject[]): string[] {
  const file = join(REPO_ROOT, 'test', 'support', '__k8s-manifests.virtual.ts');
  const source = objects
    .map((o, i) => {
      const { module, type } = kindOf(o);
      return `export const doc${i}: import('${module}').${type} = ${JSON.stringify(o, null, 1)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName === file ? 'manifest' : d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}

type Obj = Record<string, unknown>;
/** The value at a dotted `path` ('spec.template.metadata') of a parsed object; undefined where it is missing. */
export const field = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** IANA_SVC_NAME, which container and service port names must be. */
const PORT_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
/** The fields the downward API (env valueFrom.fieldRef) accepts. */
const FIELD_PATHS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']);

/**
 * The API server's and kubelet's rules that no schema states, for the kinds used here: object
 * and port names (DNS-1123 / DNS-1035 / IANA_SVC_NAME, pod hostnames ≤ 63), a workload's selector
 * matching its template's labels, a StatefulSet's serviceName naming a headless Service that
 * selects its pods, volume mounts naming a volume, downward-API field paths, `$(VAR)` references
 * in args naming a container variable (kubelet leaves unknown ones as literal text), ConfigMap keys,
 * and one namespace for everything. Returns one message per broken rule.
 */
export function apiRuleErrors(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  const bad = (o: K8sObject, msg: string): void => void out.push(`${o.kind} ${String(field(o, 'metadata.name'))}: ${msg}`);
  const namespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => field(o, 'metadata.name')));
  for (const o of objects) {
    const name = String(field(o, 'metadata.name') ?? '');
    if (!(o.kind === 'Service' ? DNS1035_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253)) bad(o, 'invalid name');
    if (o.kind !== 'Namespace' && !namespaces.has(field(o, 'metadata.namespace'))) bad(o, `namespace ${String(field(o, 'metadata.namespace'))} is not one of the manifests' namespaces`);
    if (o.kind === 'ConfigMap') for (const k of Object.keys((field(o, 'data') as Obj) ?? {})) if (!CONFIG_KEY.test(k)) bad(o, `invalid data key ${k}`);
    if (o.kind === 'Service') {
      const ports = list(field(o, 'spec.ports'));
      const names = ports.map((p) => String(p['name'] ?? ''));
      if (ports.length > 1 && names.some((n) => !PORT_NAME.test(n) || n.length > 15)) bad(o, `port names must be IANA_SVC_NAMEs: ${names.join(', ')}`);
      if (new Set(names).size !== names.length) bad(o, 'duplicate port name');
      const keys = ports.map((p) => `${String(p['port'])}/${String(p['protocol'] ?? 'TCP')}`);
      if (new Set(keys).size !== keys.length) bad(o, 'duplicate port and protocol');
    }
    if (o.kind === 'StatefulSet' || o.kind === 'DaemonSet') out.push(...workloadErrors(o, objects).map((m) => `${o.kind} ${name}: ${m}`));
  }
  return out;
}

function workloadErrors(o: K8sObject, objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  const labels = (field(o, 'spec.template.metadata.labels') ?? {}) as Obj;
  const match = (field(o, 'spec.selector.matchLabels') ?? {}) as Obj;
  if (Object.keys(match).length === 0) out.push('empty selector');
  for (const [k, v] of Object.entries(match)) if (labels[k] !== v) out.push(`selector ${k}=${String(v)} does not match the template's labels`);
  const pod = field(o, 'spec.template.spec') as Obj;
  const volumes = new Set([...list(pod['volumes']), ...list(field(o, 'spec.volumeClaimTemplates')).map((c) => c['metadata'] as Obj)].map((v) => v['name']));
  if (o.kind === 'StatefulSet') {
    const name = String(field(o, 'metadata.name'));
    const replicas = Number(field(o, 'spec.replicas') ?? 1);
    if (!DNS1123_LABEL.test(`${name}-${replicas - 1}`) || `${name}-${replicas - 1}`.length > 63) out.push('pod names are not valid hostnames');
    const svc = objects.find((s) => s.kind === 'Service' && field(s, 'metadata.name') === field(o, 'spec.serviceName'));
    if (!svc) out.push(`serviceName ${String(field(o, 'spec.serviceName'))} names no Service`);
    else {
      if (field(svc, 'spec.clusterIP') !== 'None') out.push('its Service is not headless (clusterIP: None): pods get no DNS names');
      for (const [k, v] of Object.entries((field(svc, 'spec.selector') ?? {}) as Obj)) if (labels[k] !== v) out.push(`its Service's selector ${k}=${String(v)} does not select its pods`);
    }
  }
  for (const c of list(pod['containers'])) {
    const ports = list(c['ports']);
    for (const p of ports) if (p['name'] !== undefined && (!PORT_NAME.test(String(p['name'])) || String(p['name']).length > 15)) out.push(`container port name ${String(p['name'])} is not an IANA_SVC_NAME`);
    const keys = ports.map((p) => `${String(p['containerPort'])}/${String(p['protocol'] ?? 'TCP')}`);
    if (new Set(keys).size !== keys.length) out.push('duplicate container port and protocol');
    const env = new Set(list(c['env']).map((e) => e['name']));
    for (const e of list(c['env'])) {
      const path = field(e, 'valueFrom.fieldRef.fieldPath');
      if (path !== undefined && !FIELD_PATHS.has(String(path))) out.push(`env ${String(e['name'])}: the downward API has no field ${String(path)}`);
    }
    for (const a of [...list(c['command']), ...list(c['args'])] as unknown as string[]) for (const m of String(a).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!env.has(m[1])) out.push(`${a}: $(${m[1]!}) is not a variable of the container`);
    const mounts = list(c['volumeMounts']);
    for (const m of mounts) if (!volumes.has(m['name'])) out.push(`volume mount ${String(m['name'])} names no volume`);
    if (new Set(mounts.map((m) => m['mountPath'])).size !== mounts.length) out.push('two volume mounts share a path');
  }
  return out;
}
