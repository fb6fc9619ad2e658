// Renders k8s/*.yaml into the plain Pods Kubernetes would run, for `podman kube play`
// (k8s-check.sh): the StatefulSet's pods sextant-server-<i> (hostname and subdomain set, as its
// controller does), and the DaemonSet's pod for each of `nodes` nodes. What the cluster itself
// would supply is filled in the way Kubernetes does it:
//   - downward-API variables (metadata.name, spec.nodeName, status.podIP) get their values, and
//     kubelet's $(VAR) expansion is applied to the args;
//   - the headless Service's DNS names <pod>.<service>.<namespace>.svc become hostAliases of
//     every pod, pointing at the server pods' fixed addresses;
//   - the data volume (the StatefulSet's volume claim, the DaemonSet's emptyDir) is a host
//     directory under `out`;
//   - containerPorts are dropped (informational in Kubernetes; podman would publish them).
// The readiness probe is dropped too: k8s-check.sh runs its exact command itself.
//
//   node examples/cluster/k8s-pods.mjs OUT_DIR SUBNET_PREFIX IMAGE NODES
//   (for example /tmp/k8s 10.89.77. localhost/sextant:local 2)
// Writes OUT_DIR/configmap.yaml, OUT_DIR/<pod>.yaml, OUT_DIR/probe (the servers' readiness probe
// command, its arguments separated by NUL bytes), and prints "<pod> <ip>" for each pod.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const [out, subnet, image, nodes] = process.argv.slice(2);
if (!out || !subnet || !image || !nodes) throw new Error('usage: k8s-pods.mjs OUT_DIR SUBNET_PREFIX IMAGE NODES');
const here = join(dirname(fileURLToPath(import.meta.url)), 'k8s');
const objects = ['namespace', 'config', 'server', 'client'].flatMap((f) => parseAllDocuments(readFileSync(join(here, `${f}.yaml`), 'utf8')).map((d) => d.toJS()));
const one = (kind) => objects.find((o) => o.kind === kind);
const [sts, ds, svc, cm] = [one('StatefulSet'), one('DaemonSet'), one('Service'), one('ConfigMap')];

const serverIp = (i) => `${subnet}${11 + i}`;
const servers = Array.from({ length: sts.spec.replicas }, (_, i) => ({ name: `${sts.metadata.name}-${i}`, ip: serverIp(i) }));
const hostAliases = servers.map((s) => ({ ip: s.ip, hostnames: [`${s.name}.${svc.metadata.name}.${sts.metadata.namespace}.svc`] }));

/** The pod a controller makes from `template`, as kubelet would start it. */
function pod(template, name, fields, extra) {
  const spec = structuredClone(template.spec);
  for (const c of spec.containers) {
    const env = {};
    c.env = (c.env ?? []).map((e) => {
      const value = e.valueFrom?.fieldRef ? fields[e.valueFrom.fieldRef.fieldPath] : e.value;
      if (value === undefined) throw new Error(`${name}: no value for ${e.name}`);
      env[e.name] = value;
      return { name: e.name, value };
    });
    c.args = (c.args ?? []).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => env[v] ?? m));
    c.image = image;
    delete c.ports;
    delete c.readinessProbe;
  }
  const data = join(out, 'data', name);
  mkdirSync(data, { recursive: true });
  spec.volumes = [...(spec.volumes ?? []).filter((v) => v.name !== 'data'), { name: 'data', hostPath: { path: data, type: 'Directory' } }];
  spec.hostAliases = hostAliases;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: template.metadata.labels }, spec: { ...spec, ...extra } };
}

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'configmap.yaml'), stringify(cm));
const pods = [
  ...servers.map((s) => ({ ...s, pod: pod(sts.spec.template, s.name, { 'metadata.name': s.name, 'status.podIP': s.ip }, { hostname: s.name, subdomain: svc.metadata.name }) })),
  ...Array.from({ length: Number(nodes) }, (_, k) => {
    const name = `${ds.metadata.name}-node-${k + 1}`;
    const ip = `${subnet}${21 + k}`;
    return { name, ip, pod: pod(ds.spec.template, name, { 'metadata.name': name, 'spec.nodeName': `node-${k + 1}`, 'status.podIP': ip }, { hostname: name }) };
  }),
];
for (const p of pods) {
  writeFileSync(join(out, `${p.name}.yaml`), stringify(p.pod));
  console.log(`${p.name} ${p.ip}`);
}
writeFileSync(join(out, 'probe'), sts.spec.template.spec.containers[0].readinessProbe.exec.command.join('\0'));
