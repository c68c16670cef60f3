/**
 * deploy/kubernetes and deploy/argocd: every overlay renders with the real `kubectl kustomize`,
 * every object validates against the Kubernetes OpenAPI schemas (kubernetes-models, and the
 * Prometheus Operator and Argo CD CRD models), and the manifests agree with the image
 * (Dockerfile: ports, CMD, USER, file capabilities) and with the server (config keys, defaults,
 * the metrics token). What the server serves at the probe and scrape paths is checked against a
 * running server in test/integration/deploy/kubernetes-endpoints.test.ts.
 * Without kubectl the rendering tests are skipped, and fail under CI=true.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../../server/config/config.schema.js';
import { ARGOCD_APPLICATION, OVERLAYS, OVERLAYS_DIR, ROOT, findKubectl, readYamlFile, renderOverlay } from './deploy-files.js';
import {
  unknownFields,
  validate,
  type EnvVar,
  type PodSpec,
  workloads,
  services,
  dockerfile,
  setting,
  crossCheck,
  OLD_KUSTOMIZE_KEYS,
  kustomizationFiles,
} from './manifest-checks.js';

const kubectl = findKubectl();
if (!kubectl && process.env.CI === 'true') throw new Error('kubectl is missing: .ci/run installs Debian\'s kubernetes-client when there is none');

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
