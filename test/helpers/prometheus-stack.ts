import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './nats-server.js';

/**
 * Debian's real `prometheus-alertmanager` and `prometheus`, started on a free loopback port with
 * their config and storage in a temp dir, ready once GET /-/ready answers 200, and stopped again.
 * (apt-get install -y --no-install-recommends prometheus prometheus-alertmanager)
 */
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const alertmanagerAvailable = () => existsSync(ALERTMANAGER_BIN);
export const prometheusAvailable = () => existsSync(PROMETHEUS_BIN);

export interface PeerHandle {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

async function startPeer(bin: string, files: Record<string, string>, args: (dir: string, port: number) => string[]): Promise<PeerHandle> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install -y --no-install-recommends prometheus prometheus-alertmanager`);
  const dir = mkdtempSync(join(tmpdir(), 'nw-prom-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  let lastOutput = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeTcpPort();
    let out = '';
    const child = spawn(bin, args(dir, port), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<void>((r) => child.once('exit', () => (process.removeListener('exit', killOnExit), r())));
    const url = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    let ready = false;
    while (!ready && child.exitCode === null && Date.now() - t0 < 20_000) {
      try {
        ready = (await fetch(`${url}/-/ready`)).status === 200;
      } catch {
        // not listening yet
      }
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (ready) {
      return {
        url, port, dir, process: child, output: () => out,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            const t = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.kill('SIGTERM');
            await exited;
            clearTimeout(t);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastOutput = out;
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`${bin} did not become ready:\n${lastOutput}`);
}

/** Alertmanager with `config` (YAML) as its configuration; no cluster. */
export function startAlertmanager(config: string): Promise<PeerHandle> {
  return startPeer(ALERTMANAGER_BIN, { 'alertmanager.yml': config }, (dir, port) => [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
  ]);
}

/** Prometheus with `config` (YAML) and `rules` (YAML, as rules.yml next to it). */
export function startPrometheus(config: string, rules = 'groups: []\n'): Promise<PeerHandle> {
  return startPeer(PROMETHEUS_BIN, { 'prometheus.yml': config, 'rules.yml': rules }, (dir, port) => [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`,
  ]);
}

/** An Alertmanager configuration whose one receiver is Netwatch's webhook, with a bearer token. */
export function netwatchReceiverConfig(netwatchUrl: string, token: string): string {
  return `route:
  receiver: netwatch
  group_by: ['alertname', 'instance']
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: netwatch
    webhook_configs:
      - url: ${netwatchUrl}/api/v1/intake/alertmanager
        send_resolved: true
        max_alerts: 1000
        http_config:
          authorization:
            type: Bearer
            credentials: ${token}
`;
}
