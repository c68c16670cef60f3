import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../../helpers/nats-server.js';

/**
 * Debian's real Prometheus on a free loopback port, its config and TSDB in a temp dir, scraping
 * what the caller's config says; queried over its HTTP API.
 */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const prometheusAvailable = () => existsSync(PROMETHEUS_BIN);

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusHandle {
  url: string;
  output(): string;
  /** Instant query (`/api/v1/query`); throws unless the status is success. */
  query(expr: string): Promise<PromSeries[]>;
  /** The scrape targets' health as Prometheus reports it. */
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(configYaml: string, extraArgs: string[] = []): Promise<PrometheusHandle> {
  if (!prometheusAvailable()) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y --no-install-recommends prometheus`);
  const dir = mkdtempSync(join(tmpdir(), 'nw-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, configYaml);
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const child = spawn(PROMETHEUS_BIN, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited (${child.exitCode}): ${out.slice(-3000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url}: ${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    output: () => out,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: PromSeries[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    async targets() {
      const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] } };
      return body.data.activeTargets;
    },
    stop,
  };
}

/** One scrape job of Netwatch's GET /metrics/devices every second (`params` as query parameters; no token when `token` is undefined). */
export function deviceScrapeJob(job: { name: string; serverUrl: string; token?: string; params?: Record<string, string> }): string[] {
  const lines = [`  - job_name: ${job.name}`, '    metrics_path: /metrics/devices'];
  if (job.params) lines.push('    params:', ...Object.entries(job.params).map(([k, v]) => `      ${k}: ['${v}']`));
  if (job.token !== undefined) lines.push('    authorization:', `      credentials: ${job.token}`);
  lines.push('    static_configs:', `      - targets: ['127.0.0.1:${new URL(job.serverUrl).port}']`);
  return lines;
}

/** A Prometheus config scraping the given jobs every second. */
export const everySecond = (jobs: string[][]): string => ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', ...jobs.flat(), ''].join('\n');
