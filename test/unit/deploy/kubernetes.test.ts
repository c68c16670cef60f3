/**
 * deploy/kubernetes and deploy/argocd: every overlay renders with the real `kubectl kustomize`,
 * every object validates against the Kubernetes OpenAPI schemas (kubernetes-models, and the
 * Prometheus Operator and Argo CD CRD models), and the manifests agree with the image
 * (Dockerfile: ports, CMD, USER, file capabilities) and with the server (config keys, defaults,
 * the metrics token). What the server serves at the probe and scrape paths is checked against a
 * running server in test/integration/deploy/kubernetes-endpoints.test.ts.
 * Without kubectl the rendering tests are skipped, and fail under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { OPTIONS, type OptionKey } from '../../../server/config/config.schema.js';
import {
  ARGOCD_APPLICATION,
  KUBERNETES_DIR,
  OVERLAYS,
  OVERLAYS_DIR,
  ROOT,
  findKubectl,
  readDockerfile,
  readYamlFile,
  renderOverlay,
  type K8sObject,
} from './deploy-files.js';

const kubectl = findKubectl();
if (!kubectl && process.env.CI === 'true') throw new Error('kubectl is missing: .ci/run installs Debian\'s kubernetes-client when there is none');

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
function unknownFields(objs: K8sObject[]): string[] {
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

function validate(obj: K8sObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name}): add it to MODELS`);
  new Model(obj as never).validate();
}

interface Port { name?: string; containerPort: number; protocol?: string }
interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }
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
interface PodSpec {
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

const workloads = (objs: K8sObject[]) => objs.filter((o): o is Workload => o.kind === 'Deployment');
const services = (objs: K8sObject[]) => objs.filter((o): o is ServiceObject => o.kind === 'Service');
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Config key of each env var name (the schema's own table). */
const KEY_OF_ENV = new Map<string, OptionKey>(Object.entries(OPTIONS).map(([key, o]) => [o.env, key as OptionKey]));
const dockerfile = readDockerfile();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What a setting is in this container: its env value, else the image's ENV, else the schema's default. */
function setting(container: Container, key: OptionKey): unknown {
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
function crossCheck(objs: K8sObject[]): string[] {
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
const OLD_KUSTOMIZE_KEYS = new Set(['resources', 'bases', 'namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'commonAnnotations', 'patchesStrategicMerge', 'patchesJson6902', 'images', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'vars', 'crds', 'apiVersion', 'kind']);

function kustomizationFiles(dir = KUBERNETES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? kustomizationFiles(join(dir, d.name)) : d.name === 'kustomization.yaml' ? [join(dir, d.name)] : []));
}

describe('the Dockerfile', () => {
  it('exposes the server\'s default ports, runs node directly as uid 1000 and gives node exactly NET_BIND_SERVICE and NET_RAW', () => {
    expect(dockerfile.exposes).toEqual(new Set([`${setting({ name: 'x', image: 'x' }, 'httpPort') as number}/tcp`, `${OPTIONS.syslogPort.schema.parse(undefined)}/udp`, `${OPTIONS.syslogPort.schema.parse(undefined)}/tcp`, `${OPTIONS.trapPort.schema.parse(undefined)}/udp`, `${OPTIONS.syslogTlsPort.schema.parse(undefined)}/tcp`]));
    // Cleared: node:20's own ENTRYPOINT is a shell script, and a shell between runc and node
    // loses the capabilities under no_new_privs (test/integration/deploy/container-sandbox.test.ts).
    expect(dockerfile.entrypoint).toEqual([]);
    expect(dockerfile.cmd[0]).toBe('node');
    expect(dockerfile.cmd.at(-1)).toBe('dist/server/main.js');
    // The same node flags as `npm start`.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    expect(dockerfile.cmd.join(' ')).toBe(pkg.scripts.start);
    expect(dockerfile.user).toBe('1000:1000');
    expect(dockerfile.nodeCapabilities).toEqual(['NET_BIND_SERVICE', 'NET_RAW']);
    expect(dockerfile.env.get('NMS_DATA_DIR')).toBe('/data');
  });
});

describe('the kustomizations', () => {
  it('use only what the Kustomize of old kubectl (1.20) renders too', () => {
    const files = kustomizationFiles();
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const [doc] = readYamlFile(f);
      expect(Object.keys(doc!).filter((k) => !OLD_KUSTOMIZE_KEYS.has(k)), f).toEqual([]);
    }
  });
});

describe.skipIf(!kubectl)('every overlay, rendered by kubectl kustomize', () => {
  it('has the single and scaled overlays', () => {
    expect(OVERLAYS).toEqual(['scaled', 'single']);
  });

  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objs = () => renderOverlay(kubectl!, overlay);

      it('renders, and every object validates against its Kubernetes (or CRD) schema', () => {
        const rendered = objs();
        expect(rendered.length).toBeGreaterThan(3);
        for (const o of rendered) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
        expect(new Set(rendered.map((o) => o.metadata.namespace))).toEqual(new Set(['netwatch']));
      });

      it('has no field its schema does not name (a typo would pass the JSON schema)', () => {
        expect(unknownFields(objs())).toEqual([]);
      }, 120_000);

      it('agrees with the image and the server: ports, command, env keys, probes, security context, volumes', () => {
        expect(crossCheck(objs())).toEqual([]);
      });
    });
  }

  it('single: one pod of role all, syslog and traps from a LoadBalancer Service on 514/162', () => {
    const objs = renderOverlay(kubectl!, 'single');
    const [server, ...others] = workloads(objs);
    expect(others).toEqual([]);
    expect(server!.spec.replicas).toBe(1);
    expect(server!.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'NMS_ROLE', value: 'all' });
    const intake = services(objs).find((s) => s.spec.type === 'LoadBalancer');
    expect(intake?.spec.ports.map((p) => `${p.port}/${p.protocol}`).sort()).toEqual(['162/UDP', '514/TCP', '514/UDP']);
  });

  it('scaled: two centrals on PostgreSQL with one key from a Secret, a hostNetwork collector per site, NATS from a Secret, a PDB of minAvailable 1', () => {
    const objs = renderOverlay(kubectl!, 'scaled');
    const central = workloads(objs).find((w) => w.metadata.name === 'netwatch')!;
    const container = central.spec.template.spec.containers[0]!;
    const env = container.env!;
    expect(env).toContainEqual({ name: 'NMS_ROLE', value: 'central' });
    expect(env.find((e) => e.name === 'NMS_NATS_URL')?.valueFrom?.secretKeyRef?.name).toBe('netwatch-nats');
    // PostgreSQL store: two replicas, rolled one at a time, no ReadWriteOnce volume.
    expect(central.spec.replicas).toBe(2);
    expect(central.spec.strategy?.type).toBe('RollingUpdate');
    expect(env.find((e) => e.name === OPTIONS.databaseUrl.env)).toEqual({ name: 'NMS_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'netwatch-postgres', key: 'url' } } });
    // The same key file in every pod: the Secret netwatch-secret-key, key secret.key, mounted read-only.
    const keyFile = env.find((e) => e.name === OPTIONS.secretKeyFile.env)?.value;
    expect(keyFile).toBe('/etc/netwatch/secret-key/secret.key');
    const keyMount = container.volumeMounts!.find((m) => keyFile!.startsWith(`${m.mountPath}/`))!;
    expect(keyMount.readOnly).toBe(true);
    const keyVolume = central.spec.template.spec.volumes!.find((v) => v.name === keyMount.name)!;
    expect(keyVolume.secret).toMatchObject({ secretName: 'netwatch-secret-key', items: [{ key: 'secret.key', path: 'secret.key' }] });
    const dataVolume = central.spec.template.spec.volumes!.find((v) => v.name === container.volumeMounts!.find((m) => m.mountPath === '/data')!.name)!;
    expect(dataVolume.emptyDir).toBeDefined();
    expect(dataVolume.persistentVolumeClaim).toBeUndefined();
    expect(objs.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).not.toContain('netwatch-data');
    expect(central.spec.template.spec.containers[0]!.ports!.map((p) => p.name)).toEqual(['http']);
    const collectors = workloads(objs).filter((w) => w.metadata.name.startsWith('netwatch-collector-'));
    expect(collectors.length).toBeGreaterThan(0);
    for (const c of collectors) {
      const spec = c.spec.template.spec;
      expect(spec.hostNetwork).toBe(true);
      expect((spec as { dnsPolicy?: string }).dnsPolicy).toBe('ClusterFirstWithHostNet');
      const cenv = spec.containers[0]!.env!;
      expect(cenv).toContainEqual({ name: 'NMS_ROLE', value: 'collector' });
      expect(c.metadata.name).toBe(`netwatch-collector-${cenv.find((e) => e.name === 'NMS_SITE')!.value!}`);
      expect(cenv.find((e) => e.name === 'NMS_NATS_URL')?.valueFrom?.secretKeyRef?.name).toBe('netwatch-nats');
    }
    const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0]!.spec).toMatchObject({ minAvailable: 1 });
    expect(pdbs[0]!.spec).not.toHaveProperty('maxUnavailable');
  });

  it('scaled: the cross-check refuses two centrals without PostgreSQL, a database URL written in, or a key file not from a Secret', () => {
    const broken = (change: (env: EnvVar[], pod: PodSpec) => void): string[] => {
      const objs = renderOverlay(kubectl!, 'scaled');
      const pod = workloads(objs).find((w) => w.metadata.name === 'netwatch')!.spec.template.spec;
      change(pod.containers[0]!.env!, pod);
      return crossCheck(objs);
    };
    const without = (env: EnvVar[], name: string) => env.splice(env.findIndex((e) => e.name === name), 1);
    expect(broken((env) => without(env, 'NMS_DATABASE_URL')).join('\n')).toMatch(/2 replicas without NMS_DATABASE_URL/);
    expect(broken((env) => without(env, 'NMS_DATABASE_URL')).join('\n')).toMatch(/not mounted from a PersistentVolumeClaim/);
    expect(broken((env) => env.splice(env.findIndex((e) => e.name === 'NMS_DATABASE_URL'), 1, { name: 'NMS_DATABASE_URL', value: 'postgres://u:p@db/n' })).join('\n')).toMatch(/written in the manifest/);
    expect(broken((env) => without(env, 'NMS_SECRET_KEY_FILE')).join('\n')).toMatch(/NMS_SECRET_KEY_FILE .* not a file of a Secret/);
    expect(broken((env) => (env.find((e) => e.name === 'NMS_SECRET_KEY_FILE')!.value = '/data/secret.key')).join('\n')).toMatch(/not a file of a Secret/);
    expect(broken((_env, pod) => delete pod.containers[0]!.volumeMounts!.find((m) => m.mountPath === '/etc/netwatch/secret-key')!.readOnly).join('\n')).toMatch(/not a file of a Secret mounted read-only/);
  });

  it('single with syslog-tls.yaml: 6514/TCP on the container and the intake Service, cert and key from a Secret', () => {
    // The optional patch, applied the way its comment says, in a throw-away overlay over `single`.
    const dir = mkdtempSync(join(OVERLAYS_DIR, '.tls-'));
    try {
      writeFileSync(join(dir, 'syslog-tls.yaml'), readFileSync(join(OVERLAYS_DIR, 'single', 'syslog-tls.yaml')));
      writeFileSync(join(dir, 'kustomization.yaml'), 'bases:\n- ../single\npatchesStrategicMerge:\n- syslog-tls.yaml\n');
      const objs = renderOverlay(kubectl!, dir.slice(OVERLAYS_DIR.length + 1));
      for (const o of objs) validate(o);
      expect(crossCheck(objs)).toEqual([]);
      const c = workloads(objs)[0]!.spec.template.spec.containers[0]!;
      expect(c.ports!.map((p) => `${p.containerPort}/${p.protocol}`).sort()).toEqual(['162/UDP', '514/TCP', '514/UDP', '6514/TCP', '8080/TCP']);
      expect(c.env!.map((e) => e.name)).toEqual(expect.arrayContaining(['NMS_SYSLOG_TLS_CERT', 'NMS_SYSLOG_TLS_KEY']));
      const intake = services(objs).find((s) => s.metadata.name === 'netwatch-intake')!;
      expect(intake.spec.ports.map((p) => `${p.port}/${p.protocol}`).sort()).toEqual(['162/UDP', '514/TCP', '514/UDP', '6514/TCP']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the NodePort alternative of the single overlay agrees with its Deployment too', () => {
    const file = join(OVERLAYS_DIR, 'single', 'service-intake-nodeport.yaml');
    const alt = readYamlFile(file);
    for (const o of alt) validate(o);
    const objs = renderOverlay(kubectl!, 'single').filter((o) => !(o.kind === 'Service' && o.metadata.name === 'netwatch-intake'));
    expect(objs.length).toBeGreaterThan(alt.length);
    expect(crossCheck([...objs, ...alt])).toEqual([]);
  });
});

describe('the Argo CD Application', () => {
  it('validates against the Argo CD schema and points at an overlay of this repository, its URL marked as a placeholder', () => {
    const [app, ...rest] = readYamlFile(ARGOCD_APPLICATION);
    expect(rest).toEqual([]);
    validate(app!);
    expect(unknownFields([app!])).toEqual([]);
    const spec = app!.spec as { source: { repoURL: string; path: string }; destination: { namespace: string } };
    expect(existsSync(join(ROOT, spec.source.path, 'kustomization.yaml'))).toBe(true);
    expect(spec.source.path.startsWith('deploy/kubernetes/overlays/')).toBe(true);
    expect(spec.source.repoURL).toMatch(/CHANGE-ME/);
    expect(spec.destination.namespace).toBe('netwatch');
  }, 120_000);
});
