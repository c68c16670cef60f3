/**
 * The checks behind kubernetes.test.ts: schema validation of rendered objects, the cross-check of
 * manifests against the image and the server's configuration, and the Kustomize files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { it } from 'vitest';
import { OPTIONS, type OptionKey } from '../../../server/config/config.schema.js';
import { KUBERNETES_DIR, ROOT, readDockerfile, type K8sObject } from './deploy-files.js';

/** The model class of each kind we ship; an object of another kind fails the test until one is added here. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'argoproj.io/v1alpha1/Application': Application,
};

/** The TypeScript interface of each model: the schema with every field named (see noUnknownFields). */
const TYPES: Record<string, [module: string, name: string]> = {
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/PersistentVolumeClaim': ['kubernetes-models/v1/PersistentVolumeClaim', 'IPersistentVolumeClaim'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor'],
  'argoproj.io/v1alpha1/Application': ['@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application', 'IApplication'],
};

/**
 * The JSON schemas accept fields they do not know (Kubernetes' OpenAPI has no
 * additionalProperties: false), so a misspelt `readOnlyRootFilesytem` would validate and be
 * dropped by the API server. TypeScript's excess-property check on the models' interfaces
 * catches it: each object becomes a typed constant, compiled with tsc. Returns tsc's errors.
 */
export function unknownFields(objs: K8sObject[]): string[] {
  const dir = mkdtempSync(join(ROOT, 'test', 'unit', 'deploy', '.typecheck-'));
  try {
    const lines: string[] = [];
    const imports = new Map<string, string>();
    objs.forEach((o, i) => {
      const [module, name] = TYPES[`${o.apiVersion}/${o.kind}`] ?? [];
      if (!module || !name) throw new Error(`no type for ${o.apiVersion} ${o.kind}: add it to TYPES`);
      const alias = `T${imports.size}`;
      if (!imports.has(module)) imports.set(module, `import type { ${name} as ${alias} } from '${module}';`);
      const used = /as (T\d+)/.exec(imports.get(module)!)![1]!;
      lines.push(`// ${o.kind} ${o.metadata.name}\nexport const o${i}: ${used} = ${JSON.stringify(o, null, 1)};`);
    });
    writeFileSync(join(dir, 'objects.ts'), [...imports.values(), ...lines].join('\n'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', types: [], skipLibCheck: true }, files: ['objects.ts'] }));
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
    if (r.status === 0) return [];
    return r.stdout.split('\n').filter((l) => l.includes('error TS'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function validate(obj: K8sObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name}): add it to MODELS`);
  new Model(obj as never).validate();
}

interface Port { name?: string; containerPort: number; protocol?: string }
export interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }
interface Probe { httpGet?: { path: string; port: string | number } }
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: Port[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
export interface PodSpec {
  containers: Container[];
  hostNetwork?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number; seccompProfile?: { type: string }; sysctls?: Array<{ name: string; value: string }> };
  volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: object; secret?: { secretName: string; items?: Array<{ key: string; path: string }> } }>;
}
interface Workload extends K8sObject {
  spec: { replicas?: number; strategy?: { type: string }; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
interface ServiceObject extends K8sObject {
  spec: { type?: string; selector: Record<string, string>; externalTrafficPolicy?: string; ports: Array<{ name: string; port: number; targetPort: string | number; protocol?: string; nodePort?: number }> };
}

export const workloads = (objs: K8sObject[]) => objs.filter((o): o is Workload => o.kind === 'Deployment');
export const services = (objs: K8sObject[]) => objs.filter((o): o is ServiceObject => o.kind === 'Service');
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Config key of each env var name (the schema's own table). */
const KEY_OF_ENV = new Map<string, OptionKey>(Object.entries(OPTIONS).map(([key, o]) => [o.env, key as OptionKey]));
export const dockerfile = readDockerfile();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What a setting is in this container: its env value, else the image's ENV, else the schema's default. */
export function setting(container: Container, key: OptionKey): unknown {
  const env = OPTIONS[key].env;
  const own = container.env?.find((e) => e.name === env);
  const raw = own?.value ?? dockerfile.env.get(env);
  return (OPTIONS[key].schema as { parse(v: unknown): unknown }).parse(raw);
}

/** The config key a named container port stands for. */
const PORT_KEYS: Record<string, { key: OptionKey; protocol: 'TCP' | 'UDP' }> = {
  http: { key: 'httpPort', protocol: 'TCP' },
  health: { key: 'httpPort', protocol: 'TCP' },
  syslog: { key: 'syslogPort', protocol: 'UDP' },
  'syslog-tcp': { key: 'syslogPort', protocol: 'TCP' },
  trap: { key: 'trapPort', protocol: 'UDP' },
  'syslog-tls': { key: 'syslogTlsPort', protocol: 'TCP' },
};

/** Checks every overlay and standalone file runs through: one list of problems, so a test names them all. */
export function crossCheck(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const pods = workloads(objs);
  for (const w of pods) {
    const where = `${w.kind} ${w.metadata.name}`;
    const pod = w.spec.template.spec;
    if (!selects(w.spec.selector.matchLabels, w.spec.template.metadata.labels)) problems.push(`${where}: selector does not match the pod labels`);
    const pvcs = (pod.volumes ?? []).filter((v) => v.persistentVolumeClaim);
    if (pvcs.length && ((w.spec.replicas ?? 1) !== 1 || w.spec.strategy?.type !== 'Recreate')) problems.push(`${where}: a ReadWriteOnce volume needs replicas 1 and strategy Recreate`);
    // Pod: non-root, seccomp RuntimeDefault.
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod runAsNonRoot is not true`);
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: pod seccompProfile is not RuntimeDefault`);
    if (pod.hostNetwork && pod.securityContext?.sysctls?.some((s) => s.name.startsWith('net.'))) problems.push(`${where}: a hostNetwork pod may not set network sysctls`);
    for (const c of pod.containers) {
      const at = `${where} container ${c.name}`;
      // Image: the project's version (overlays may rename the registry, not the tag).
      if (!c.image.endsWith(`:${VERSION}`)) problems.push(`${at}: image ${c.image} is not tagged ${VERSION} (package.json)`);
      // Command: the image's CMD (none given) or exactly it.
      if (c.command && JSON.stringify([...c.command, ...(c.args ?? [])]) !== JSON.stringify([...(dockerfile.entrypoint ?? []), ...dockerfile.cmd])) problems.push(`${at}: command/args differ from the Dockerfile's CMD`);
      if (!c.command && c.args && JSON.stringify(c.args) !== JSON.stringify(dockerfile.cmd)) problems.push(`${at}: args differ from the Dockerfile's CMD`);
      // Env: only keys the server reads, with values its schema takes.
      for (const e of c.env ?? []) {
        const key = KEY_OF_ENV.get(e.name);
        if (!key) {
          problems.push(`${at}: env ${e.name} is not a key of server/config/config.schema.ts`);
          continue;
        }
        if (e.value !== undefined && !(OPTIONS[key].schema as { safeParse(v: unknown): { success: boolean } }).safeParse(e.value).success) problems.push(`${at}: env ${e.name}=${e.value} is refused by the config schema`);
        if (e.value === undefined && !e.valueFrom?.secretKeyRef) problems.push(`${at}: env ${e.name} has neither a value nor a secretKeyRef`);
      }
      // Ports: each named port is the port the server listens on for it, with its protocol.
      for (const p of c.ports ?? []) {
        const meaning = p.name ? PORT_KEYS[p.name] : undefined;
        if (!meaning) {
          problems.push(`${at}: port ${p.name ?? p.containerPort} has no known meaning (name it http, health, syslog, syslog-tcp, trap or syslog-tls)`);
          continue;
        }
        const listens = setting(c, meaning.key);
        if (p.containerPort !== listens) problems.push(`${at}: port ${p.name} is ${p.containerPort}, the server listens on ${String(listens)} (${meaning.key})`);
        if ((p.protocol ?? 'TCP') !== meaning.protocol) problems.push(`${at}: port ${p.name} is ${p.protocol ?? 'TCP'}, not ${meaning.protocol}`);
        if (!pod.hostNetwork && !dockerfile.exposes.has(`${p.containerPort}/${meaning.protocol.toLowerCase()}`)) problems.push(`${at}: port ${p.containerPort}/${meaning.protocol} is not EXPOSEd by the Dockerfile`);
      }
      // Probes: HTTP on a port of this container that serves HTTP.
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const probe = c[kind];
        if (!probe?.httpGet) {
          problems.push(`${at}: no ${kind} with httpGet`);
          continue;
        }
        const port = (c.ports ?? []).find((p) => p.name === probe.httpGet!.port || p.containerPort === probe.httpGet!.port);
        if (!port || !['http', 'health'].includes(port.name ?? '')) problems.push(`${at}: ${kind} port ${probe.httpGet.port} is not the container's HTTP port`);
        if (probe.httpGet.path !== '/api/v1/health') problems.push(`${at}: ${kind} path ${probe.httpGet.path} is not /api/v1/health`);
      }
      // Security context: exactly the image's file capabilities, nothing more.
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      const uid = String(sc.runAsUser ?? pod.securityContext?.runAsUser);
      if (`${uid}:${String(sc.runAsGroup ?? '')}` !== dockerfile.user) problems.push(`${at}: runs as ${uid}:${String(sc.runAsGroup)}, the image's USER is ${String(dockerfile.user)}`);
      if (JSON.stringify(sc.capabilities?.drop) !== JSON.stringify(['ALL'])) problems.push(`${at}: capabilities.drop is not [ALL]`);
      const add = [...(sc.capabilities?.add ?? [])].sort();
      if (JSON.stringify(add) !== JSON.stringify(['NET_BIND_SERVICE', 'NET_RAW'])) problems.push(`${at}: capabilities.add is ${JSON.stringify(add)}, not exactly NET_BIND_SERVICE and NET_RAW`);
      if (JSON.stringify(add) !== JSON.stringify(dockerfile.nodeCapabilities)) problems.push(`${at}: capabilities.add ${JSON.stringify(add)} differ from node's file capabilities in the Dockerfile ${JSON.stringify(dockerfile.nodeCapabilities)} (node would not start: EPERM)`);
      // Listeners without CAP_SYS_NICE: the receive threads cannot raise their priority, so the manifest says 0.
      const role = setting(c, 'role');
      if (role !== 'central' && !add.includes('SYS_NICE') && setting(c, 'syslogReceivePriority') !== 0) problems.push(`${at}: role ${String(role)} runs the syslog listener without CAP_SYS_NICE: set NMS_SYSLOG_RECEIVE_PRIORITY to 0`);
      // Writable places: the data dir from a volume claim, /tmp from an emptyDir.
      const dataDir = setting(c, 'dataDir');
      const mountAt = (path: unknown) => (c.volumeMounts ?? []).find((m) => m.mountPath === path);
      const dataVolume = (pod.volumes ?? []).find((v) => v.name === mountAt(dataDir)?.name);
      // On PostgreSQL (NMS_DATABASE_URL) the data dir holds only per-node files (the MIB index), so it may be
      // an emptyDir; the secret key file then must come from a Secret, the same for every replica.
      const databaseUrl = c.env?.find((e) => e.name === OPTIONS.databaseUrl.env);
      if (databaseUrl?.value !== undefined) problems.push(`${at}: ${OPTIONS.databaseUrl.env} is written in the manifest (it holds a password): take it from a Secret`);
      if ((w.spec.replicas ?? 1) > 1 && !databaseUrl) problems.push(`${where}: ${String(w.spec.replicas)} replicas without ${OPTIONS.databaseUrl.env} (SQLite has one writer)`);
      if (databaseUrl) {
        const keyFile = c.env?.find((e) => e.name === OPTIONS.secretKeyFile.env)?.value;
        const keyMount = keyFile ? (c.volumeMounts ?? []).find((m) => keyFile.startsWith(`${m.mountPath}/`)) : undefined;
        const keySecret = (pod.volumes ?? []).find((v) => v.name === keyMount?.name)?.secret;
        const keyPath = keyFile && keyMount ? keyFile.slice(keyMount.mountPath.length + 1) : '';
        const inSecret = keySecret && (keySecret.items ? keySecret.items.some((i) => i.path === keyPath) : true);
        if (!inSecret || keyMount?.readOnly !== true) problems.push(`${at}: on PostgreSQL, ${OPTIONS.secretKeyFile.env} (${String(keyFile)}) is not a file of a Secret mounted read-only (every central needs the same key)`);
      }
      if (!dataVolume?.persistentVolumeClaim) {
        if (!(databaseUrl && dataVolume?.emptyDir)) problems.push(`${at}: the data dir ${String(dataDir)} is not mounted from a PersistentVolumeClaim (nor an emptyDir with ${OPTIONS.databaseUrl.env})`);
      } else if (!objs.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === dataVolume.persistentVolumeClaim!.claimName)) problems.push(`${at}: claim ${dataVolume.persistentVolumeClaim.claimName} is not rendered`);
      if (!(pod.volumes ?? []).find((v) => v.name === mountAt('/tmp')?.name)?.emptyDir) problems.push(`${at}: /tmp is not an emptyDir (the root file system is read-only)`);
      if (!c.resources?.requests?.cpu || !c.resources.requests.memory || !c.resources.limits?.memory) problems.push(`${at}: needs cpu/memory requests and a memory limit`);
    }
  }
  // Services: each port targets a port of a selected container, with the same protocol, on the port the image EXPOSEs.
  for (const s of services(objs)) {
    const targets = pods.filter((w) => selects(s.spec.selector, w.spec.template.metadata.labels));
    if (targets.length === 0) problems.push(`Service ${s.metadata.name}: selects no workload`);
    for (const p of s.spec.ports) {
      const protocol = p.protocol ?? 'TCP';
      for (const w of targets) {
        const found = w.spec.template.spec.containers.flatMap((c) => c.ports ?? []).find((cp) => (cp.name === p.targetPort || cp.containerPort === p.targetPort) && (cp.protocol ?? 'TCP') === protocol);
        if (!found) problems.push(`Service ${s.metadata.name} port ${p.name}: no ${protocol} container port ${String(p.targetPort)} in ${w.metadata.name}`);
      }
      if (!dockerfile.exposes.has(`${p.port}/${protocol.toLowerCase()}`)) problems.push(`Service ${s.metadata.name} port ${p.name}: ${p.port}/${protocol} is not EXPOSEd by the Dockerfile`);
    }
    // Intake from devices keeps their source address (devices are matched by it).
    if ((s.spec.type === 'LoadBalancer' || s.spec.type === 'NodePort') && s.spec.externalTrafficPolicy !== 'Local') problems.push(`Service ${s.metadata.name}: externalTrafficPolicy is not Local (source addresses would be lost)`);
  }
  // ServiceMonitor: scrapes a port of a selected Service, with the token the server reads.
  for (const sm of objs.filter((o) => o.kind === 'ServiceMonitor')) {
    const spec = sm.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string; authorization?: { type?: string; credentials?: { name: string; key: string } } }> };
    const svc = services(objs).filter((s) => selects(spec.selector.matchLabels, s.metadata.labels ?? {}));
    if (svc.length === 0) problems.push(`ServiceMonitor ${sm.metadata.name}: selects no Service`);
    const tokenRefs = pods.flatMap((w) => w.spec.template.spec.containers.flatMap((c) => c.env ?? [])).filter((e) => e.name === OPTIONS.metricsToken.env).map((e) => e.valueFrom?.secretKeyRef);
    for (const ep of spec.endpoints) {
      for (const s of svc) if (!s.spec.ports.some((p) => p.name === ep.port)) problems.push(`ServiceMonitor ${sm.metadata.name}: selects Service ${s.metadata.name}, which has no port ${ep.port}`);
      const cred = ep.authorization?.credentials;
      if (ep.authorization?.type !== 'Bearer' || !cred || !tokenRefs.some((r) => r?.name === cred.name && r.key === cred.key)) problems.push(`ServiceMonitor ${sm.metadata.name} ${ep.path}: not the Bearer token from the Secret the server's ${OPTIONS.metricsToken.env} reads`);
    }
  }
  // PodDisruptionBudget: covers the central (server) pods.
  for (const pdb of objs.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const sel = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    if (!pods.some((w) => w.metadata.name === 'netwatch' && selects(sel, w.spec.template.metadata.labels))) problems.push(`PodDisruptionBudget ${pdb.metadata.name}: does not select the central Deployment's pods`);
    if (pods.some((w) => w.metadata.name !== 'netwatch' && selects(sel, w.spec.template.metadata.labels))) problems.push(`PodDisruptionBudget ${pdb.metadata.name}: also selects collectors`);
  }
  return problems;
}

/** Kustomization keys the Kustomize of kubectl 1.20 (2.0.3, Debian's kubernetes-client) knows as well as Kustomize 5. */
export const OLD_KUSTOMIZE_KEYS = new Set(['resources', 'bases', 'namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'commonAnnotations', 'patchesStrategicMerge', 'patchesJson6902', 'images', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'vars', 'crds', 'apiVersion', 'kind']);

export function kustomizationFiles(dir = KUBERNETES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? kustomizationFiles(join(dir, d.name)) : d.name === 'kustomization.yaml' ? [join(dir, d.name)] : []));
}
