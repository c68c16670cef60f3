/**
 * Reading the deployment files the way the tests need them: Kustomize overlays rendered by the
 * real `kubectl kustomize`, YAML documents, the Dockerfile's facts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes');
export const OVERLAYS_DIR = join(KUBERNETES_DIR, 'overlays');
export const ARGOCD_APPLICATION = join(ROOT, 'deploy', 'argocd', 'application.yaml');

/** The overlays (directories under deploy/kubernetes/overlays). */
export const OVERLAYS: readonly string[] = readdirSync(OVERLAYS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
  .map((d) => d.name)
  .sort();

/** Any Kubernetes object, as rendered. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Every YAML document of `text` (empty ones left out); a YAML error throws. */
export function parseYamlDocuments(text: string, source: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`${source}: not a YAML stream`);
  const out: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

export function readYamlFile(file: string): K8sObject[] {
  return parseYamlDocuments(readFileSync(file, 'utf8'), file);
}

/** `kubectl` to render with: $KUBECTL, else the first on PATH (null when there is none). */
export function findKubectl(): string | null {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  }
  return null;
}

/** `kubectl kustomize <overlay>`: the objects it renders (a failed render throws with kubectl's message). */
export function renderOverlay(kubectl: string, overlay: string): K8sObject[] {
  const dir = join(OVERLAYS_DIR, overlay);
  const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${kubectl} kustomize ${dir} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return parseYamlDocuments(r.stdout, `kustomize ${overlay}`);
}

export interface DockerfileFacts {
  /** EXPOSE of the final stage, as "8080/tcp". */
  exposes: Set<string>;
  /** CMD of the final stage (exec form). */
  cmd: string[];
  /** ENTRYPOINT of the final stage, when any. */
  entrypoint: string[] | null;
  /** USER of the final stage ("1000:1000"). */
  user: string | null;
  /** ENV of the final stage. */
  env: Map<string, string>;
  /** The file capabilities `setcap` gives node, upper case without CAP_ ("NET_RAW"). */
  nodeCapabilities: string[];
}

/** Facts of the Dockerfile's final stage (after its last FROM). */
export function readDockerfile(file = join(ROOT, 'Dockerfile')): DockerfileFacts {
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const stage = lines.slice(lastFrom);
  const facts: DockerfileFacts = { exposes: new Set(), cmd: [], entrypoint: null, user: null, env: new Map(), nodeCapabilities: [] };
  for (const line of stage) {
    const [, instr = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instr.toUpperCase()) {
      case 'EXPOSE':
        for (const p of rest.split(/\s+/)) facts.exposes.add(p.includes('/') ? p.toLowerCase() : `${p}/tcp`);
        break;
      case 'CMD':
        facts.cmd = JSON.parse(rest) as string[];
        break;
      case 'ENTRYPOINT':
        facts.entrypoint = JSON.parse(rest) as string[];
        break;
      case 'USER':
        facts.user = rest.trim();
        break;
      case 'ENV':
        for (const m of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) facts.env.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
        break;
      case 'RUN': {
        const m = /setcap\s+(\S+)\+ep\s+"?\$\(readlink -f \/usr\/local\/bin\/node\)"?/.exec(rest);
        if (m) facts.nodeCapabilities = m[1]!.split(',').map((c) => c.replace(/^cap_/i, '').toUpperCase()).sort();
        break;
      }
    }
  }
  return facts;
}

/** The capabilities the base server container adds (read from the file, no rendering). */
export function baseServerCapabilities(): string[] {
  const [deployment] = readYamlFile(join(KUBERNETES_DIR, 'base', 'netwatch.yaml')) as Array<K8sObject & { spec: { template: { spec: { containers: Array<{ securityContext: { capabilities: { add: string[] } } }> } } } }>;
  return [...deployment!.spec.template.spec.containers[0]!.securityContext.capabilities.add].sort();
}
