/**
 * Alertmanager webhook intake: alerts per second that POST /api/v1/intake/alertmanager accepts
 * (answered 200, so committed and their alarms raised), from CONCURRENCY senders each posting
 * messages of BATCH distinct alerts back to back for SECONDS (realistic Kubernetes label sets,
 * every alert a new fingerprint, so every one raises an alarm: the worst case for the alarm table).
 * The server is a real process (sources through tsx) on its own data dir.
 *
 * References, same sender, same alerts, one after the other on the same machine:
 *  - the real `prometheus-alertmanager` 0.25 (Debian) taking the same alerts on its own API
 *    (POST /api/v2/alerts): the program that sits in front of us, so we should not be slower than it;
 *  - a bare Node HTTP server that reads and JSON-parses the body and answers 200: the ceiling of
 *    HTTP + JSON in Node on this machine, with no validation, no store.
 * BENCH_SECONDS (default 10), BENCH_WARMUP_SECONDS (default 3), BENCH_BATCH (alerts per message, default 100),
 * BENCH_CONCURRENCY (default 4). `stored_alerts` and `alarms_raised` include the warm-up's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../helpers/nats-server.js';
import { alertmanagerAvailable, startAlertmanager } from '../helpers/prometheus-stack.js';
import { startServerProcess } from '../helpers/server-process.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/** Each side is driven this long first, not counted (JIT, and our server's start-up work settling). */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TOKEN = 'bench-alertmanager-token-0123456789';
const NAMES = ['KubePodCrashLooping', 'KubePodNotReady', 'NodeFilesystemSpaceFillingUp', 'TargetDown', 'HighErrorRate', 'CPUThrottlingHigh', 'KubeJobFailed', 'NodeMemoryHigh'];
const SEVERITIES = ['critical', 'warning', 'info', 'major'];

let seq = 0;
function alerts(n: number, run: string): { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string }[] {
  return Array.from({ length: n }, () => {
    const i = seq++;
    return {
      labels: {
        alertname: NAMES[i % NAMES.length]!, severity: SEVERITIES[i % SEVERITIES.length]!, namespace: `team-${i % 17}`, pod: `api-${run}-${i}`, container: 'api',
        instance: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`, job: 'kubernetes-pods', prometheus: 'monitoring/k8s',
      },
      annotations: { summary: `Pod api-${run}-${i} is restarting`, description: 'Pod has been restarting 5 times in the last 10 minutes.', runbook_url: 'https://runbooks.example.org/KubePodCrashLooping' },
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=rate%28kube_pod_container_status_restarts_total%5B10m%5D%29+%3E+0',
    };
  });
}

/** Posts bodies from CONCURRENCY senders for WARMUP_SECONDS (not counted), then SECONDS; alerts/s answered 2xx and message latencies. */
async function drive(target: string, headers: Record<string, string>, body: (batch: ReturnType<typeof alerts>) => unknown, run: string) {
  const warmEnd = performance.now() + WARMUP_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < warmEnd) await (await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body(alerts(BATCH, `${run}w`))) })).arrayBuffer();
    }),
  );
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const statuses = new Map<number, number>();
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const batch = alerts(BATCH, run);
        const text = JSON.stringify(body(batch));
        const t = performance.now();
        const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.ok) ok += batch.length;
        else failed += batch.length;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(1));
  return { alerts_per_s: Math.round(ok / SECONDS), accepted: ok, failed, statuses: Object.fromEntries(statuses), message_p50_ms: q(0.5), message_p99_ms: q(0.99) };
}

const webhook = (batch: ReturnType<typeof alerts>) => ({
  version: '4', receiver: 'netwatch', status: 'firing', groupKey: '{}:{}', truncatedAlerts: 0, externalURL: 'http://alertmanager:9093',
  groupLabels: {}, commonLabels: { job: 'kubernetes-pods' }, commonAnnotations: {},
  alerts: batch.map((a) => ({ ...a, status: 'firing' })),
});

const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'alertmanager-intake', seconds: SECONDS, batch: BATCH, concurrency: CONCURRENCY, ...o })}\n`);

// Ours.
const dataDir = mkdtempSync(join(tmpdir(), 'nw-bench-am-'));
const srv = await startServerProcess(dataDir, { NMS_ADMIN_PASSWORD: 'bench-admin-pw', NMS_ALERTMANAGER_TOKEN: TOKEN, NMS_POLLER: 'false' });
for (let i = 0; i < 1200 && !srv.output().includes('"MIBs: '); i++) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 1000));
const ours = await drive(`${srv.url}/api/v1/intake/alertmanager`, { authorization: `Bearer ${TOKEN}` }, webhook, 'nw');
const metrics = await (await fetch(`${srv.url}/metrics`)).text();
const counter = (c: string) => Number(new RegExp(`component="alertmanager",counter="${c}"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
const alarms = Number(/component="engine",counter="alarms_raised"\} (\d+)/.exec(metrics)?.[1] ?? NaN);
out({ side: 'netwatch', ...ours, stored_alerts: counter('alerts'), alarms_raised: alarms });
await srv.stop();
rmSync(dataDir, { recursive: true, force: true });

// Reference: Alertmanager's own API.
let amFigure: Awaited<ReturnType<typeof drive>> | null = null;
if (alertmanagerAvailable()) {
  const am = await startAlertmanager('route:\n  receiver: none\nreceivers:\n  - name: none\n');
  amFigure = await drive(`${am.url}/api/v2/alerts`, {}, (batch) => batch, 'am');
  out({ side: 'reference-alertmanager-api', ...amFigure });
  await am.stop();
} else {
  out({ side: 'reference-alertmanager-api', error: 'prometheus-alertmanager not installed' });
}

// Reference: bare Node HTTP + JSON.parse, in its own process.
const port = await freeTcpPort();
const bare = spawn(
  process.execPath,
  ['-e', `require('node:http').createServer((q, s) => { let b = ''; q.setEncoding('utf8'); q.on('data', (c) => (b += c)); q.on('end', () => { JSON.parse(b); s.writeHead(200, { 'content-type': 'application/json' }).end('{}'); }); }).listen(${port}, '127.0.0.1', () => console.log('ready'));`],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise<void>((r) => bare.stdout!.once('data', () => r()));
const bareFigure = await drive(`http://127.0.0.1:${port}/`, {}, webhook, 'bare');
out({ side: 'reference-bare-node-json', ...bareFigure });
bare.kill();

out({
  side: 'summary',
  netwatch_alerts_per_s: ours.alerts_per_s,
  alertmanager_alerts_per_s: amFigure?.alerts_per_s ?? null,
  bare_node_alerts_per_s: bareFigure.alerts_per_s,
  ratio_vs_alertmanager: amFigure ? Number((ours.alerts_per_s / amFigure.alerts_per_s).toFixed(2)) : null,
  ratio_vs_bare: Number((ours.alerts_per_s / bareFigure.alerts_per_s).toFixed(2)),
});
