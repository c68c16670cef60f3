import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './nats-server.js';

/**
 * Starts Debian's real `prometheus` on a free loopback port with a temporary
 * config and TSDB, scraping the given targets, and stops it again.
 *
 *   const prom = await startPrometheus({ scrapeInterval: '1s', jobs: [{ name: 'netwatch', url: `${srv.url}/metrics` }] });
 *   const r = await prom.query('rate(netwatch_http_requests_total[30s])');   // /api/v1/query, instant
 *   await prom.stop();                                                       // kills it, removes the temp dir
 */
export interface PrometheusJob {
  name: string;
  /** Full URL of the scrape target, e.g. http://127.0.0.1:1234/metrics/devices. */
  url: string;
  bearerToken?: string;
}

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromQueryResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

export interface PrometheusHandle {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** Instant query (POST /api/v1/query); the parsed JSON answer, errors included. */
  query(expr: string): Promise<PromQueryResult>;
  /** Instant query that must succeed with a vector: its series. */
  series(expr: string): Promise<PromSeries[]>;
  /** Everything prometheus wrote (its log), for failing-test diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const prometheusAvailable = () => existsSync(PROMETHEUS_BIN);
/**
 * Whether a test needing Prometheus must run: always in CI (`.ci/run` installs it, so a
 * missing binary is a failure there), elsewhere only where it is installed.
 */
export const prometheusRequired = () => process.env.CI === 'true' || prometheusAvailable();

export async function startPrometheus(opts: { jobs: PrometheusJob[]; scrapeInterval?: string }): Promise<PrometheusHandle> {
  if (!prometheusAvailable()) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y --no-install-recommends prometheus`);
  const dir = mkdtempSync(join(tmpdir(), 'nw-prometheus-'));
  mkdirSync(join(dir, 'data'));
  const interval = opts.scrapeInterval ?? '1s';
  // YAML is a superset of JSON: the config is written as JSON.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: opts.jobs.map((j) => {
      const u = new URL(j.url);
      return {
        job_name: j.name,
        scheme: u.protocol.replace(':', ''),
        metrics_path: u.pathname,
        ...(j.bearerToken ? { authorization: { type: 'Bearer', credentials: j.bearerToken } } : {}),
        static_configs: [{ targets: [u.host] }],
      };
    }),
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeTcpPort();
    let out = '';
    const child = spawn(PROMETHEUS_BIN, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<void>((r) => child.once('exit', () => (process.removeListener('exit', killOnExit), r())));
    let gone = false;
    void exited.then(() => (gone = true));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!gone && Date.now() < deadline) {
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) {
        const query = async (expr: string): Promise<PromQueryResult> => {
          const res = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: expr }) });
          return (await res.json()) as PromQueryResult;
        };
        return {
          url,
          port,
          dir,
          process: child,
          query,
          async series(expr) {
            const r = await query(expr);
            if (r.status !== 'success' || r.data?.resultType !== 'vector') throw new Error(`query ${expr}: ${r.status} ${r.errorType ?? ''} ${r.error ?? r.data?.resultType}`);
            return r.data.result as PromSeries[];
          },
          output: () => out,
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
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = new Error(`prometheus did not become ready on ${url}: ${out}`);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
