/**
 * What the Kubernetes manifests ask of a running server, asked of the real one (a process, as
 * the image runs it), started with the manifests' own environment (ports 0 and a temp data dir
 * instead of the pod's; Secret values filled in by the test):
 *   - every probe path of the server and collector Deployments answers 200 without credentials;
 *   - every ServiceMonitor path answers Prometheus metrics with the metrics token and 401 without.
 * The collector talks to a real nats-server (Debian), when installed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsServerAvailable, startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { KUBERNETES_DIR, readYamlFile, type K8sObject } from '../../unit/deploy/deploy-files.js';

interface Container { env?: Array<{ name: string; value?: string }>; startupProbe?: { httpGet: { path: string } }; readinessProbe?: { httpGet: { path: string } }; livenessProbe?: { httpGet: { path: string } } }
const containerOf = (file: string): Container => {
  const d = readYamlFile(join(KUBERNETES_DIR, file)).find((o) => o.kind === 'Deployment') as K8sObject & { spec: { template: { spec: { containers: Container[] } } } };
  return d.spec.template.spec.containers[0]!;
};
const probePaths = (c: Container) => [...new Set([c.startupProbe, c.readinessProbe, c.livenessProbe].map((p) => p!.httpGet.path))];
/** The manifest's literal env, minus what the test sets itself (ports, data dir) or cannot have (the mounted NATS creds file). */
const TEST_SETS = new Set(['NMS_HTTP_PORT', 'NMS_SYSLOG_PORT', 'NMS_TRAP_PORT', 'NMS_DATA_DIR', 'NMS_NATS_CREDS']);
const manifestEnv = (c: Container) => Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined && !TEST_SETS.has(e.name)).map((e) => [e.name, e.value!]));

const server = containerOf('base/netwatch.yaml');
const collector = containerOf('overlays/scaled/collector-site-a.yaml');
const serviceMonitor = readYamlFile(join(KUBERNETES_DIR, 'monitoring', 'servicemonitor.yaml'))[0] as K8sObject & { spec: { endpoints: Array<{ path: string }> } };
const token = randomBytes(24).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'nw-k8s-endpoints-'));
let nms: ServerProcess;

beforeAll(async () => {
  nms = await startServerProcess(join(dir, 'server'), { ...manifestEnv(server), NMS_METRICS_TOKEN: token, NMS_ADMIN_PASSWORD: 'k8s-Endpoints-4711' }, 90_000, 'sources');
}, 120_000);
afterAll(async () => {
  await nms?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the server with the base Deployment\'s environment', () => {
  it('runs the role the manifest says', () => {
    expect(manifestEnv(server).NMS_ROLE).toBe('all');
    expect(nms.output()).toMatch(/console at http/);
  });

  it.each(probePaths(server))('answers the probe path %s with 200 and status ok, unauthenticated', async (path) => {
    const res = await fetch(nms.url + path);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  const served = serviceMonitor.spec.endpoints.map((e) => e.path);
  it.each(served)('serves Prometheus metrics at %s with the token, 401 without', async (path) => {
    const bare = await fetch(nms.url + path);
    expect(bare.status).toBe(401);
    const res = await fetch(nms.url + path, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^(text\/plain|application\/openmetrics-text)/);
    const text = await res.text();
    // /metrics/devices lists polled devices only: with none yet the exposition is empty (valid for Prometheus).
    if (path === '/metrics/devices') expect(text === '' || /^# (HELP|TYPE) /m.test(text)).toBe(true);
    else expect(text).toMatch(/^# (HELP|TYPE) /m);
  });

  it('exits 0 on SIGTERM (what Kubernetes sends before terminationGracePeriodSeconds)', async () => {
    expect(await nms.stop()).toBe(0);
  });
});

describe.skipIf(!natsServerAvailable() && process.env.CI !== 'true')('the scaled overlay: central and collector with their manifests\' environment, over a real nats-server', () => {
  let nats: NatsServerHandle;
  let central: ServerProcess;
  let node: ServerProcess;
  // The central: the base's env with the scaled overlay's patch over it (central.yaml; its `$patch: delete` entries have no value).
  const centralEnv = () => {
    const patch = readYamlFile(join(KUBERNETES_DIR, 'overlays', 'scaled', 'central.yaml'))[0] as K8sObject & { spec: { template: { spec: { containers: Container[] } } } };
    const patchEnv = patch.spec.template.spec.containers[0]!.env ?? [];
    const deleted = new Set(patchEnv.filter((e) => (e as { $patch?: string }).$patch === 'delete').map((e) => e.name));
    const env = Object.fromEntries(Object.entries(manifestEnv(server)).filter(([k]) => !deleted.has(k)));
    return { ...env, ...manifestEnv({ env: patchEnv }) };
  };
  beforeAll(async () => {
    nats = await startNatsServer();
    central = await startServerProcess(join(dir, 'central'), { ...centralEnv(), NMS_NATS_URL: nats.url, NMS_METRICS_TOKEN: token, NMS_ADMIN_PASSWORD: 'k8s-Endpoints-4711' }, 90_000, 'sources');
    node = await startServerProcess(join(dir, 'collector'), { ...manifestEnv(collector), NMS_NATS_URL: nats.url }, 60_000, 'sources');
  }, 150_000);
  afterAll(async () => {
    await node?.stop();
    await central?.stop();
    await nats?.stop();
  });

  it('runs the central as the patch says, and it answers the probe and /metrics', async () => {
    expect(centralEnv()).toMatchObject({ NMS_ROLE: 'central' });
    expect(centralEnv()).not.toHaveProperty('NMS_SYSLOG_PORT');
    expect(central.output()).toMatch(/console at http/);
    for (const path of probePaths(server)) expect((await fetch(central.url + path)).status).toBe(200);
    expect((await fetch(`${central.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('runs as the collector of site-a', () => {
    expect(manifestEnv(collector)).toMatchObject({ NMS_ROLE: 'collector', NMS_SITE: 'site-a' });
    expect(node.output()).toMatch(/collector of site site-a, health at http/);
  });

  it.each(probePaths(collector))('answers the probe path %s with 200 and status ok', async (path) => {
    const res = await fetch(node.url + path);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('exits 0 on SIGTERM (what Kubernetes sends before terminationGracePeriodSeconds)', async () => {
    expect(await node.stop()).toBe(0);
    expect(await central.stop()).toBe(0);
  });
});
