import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import type { Logger } from '../log/logger.js';
import { postOutbound } from '../net/outbound-http.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { deviceSamples } from './device-exposition.js';
import type { DeviceMetricsCache } from './device-metrics-cache.js';

/**
 * Prometheus remote-write 1.0 (https://prometheus.io/docs/specs/remote_write_spec/): the WriteRequest,
 * TimeSeries, Label and Sample messages of prometheus/prompb/{remote,types}.proto (field numbers as there).
 */
const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: { fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } } },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface Label {
  name: string;
  value: string;
}
export interface TimeSeries {
  labels: Label[];
  samples: { value: number; timestamp: number }[];
}

/** The protobuf WriteRequest of `series`, snappy-compressed (block format), as the spec wants the body. */
export function encodeWriteRequest(series: TimeSeries[]): Buffer {
  const bytes = WriteRequest.encode(WriteRequest.create({ timeseries: series })).finish();
  return Buffer.from(snappy.compress(bytes));
}

/** The WriteRequest in a body made by `encodeWriteRequest` (tests and diagnostics). */
export function decodeWriteRequest(body: Buffer): TimeSeries[] {
  const msg = WriteRequest.decode(snappy.uncompress(new Uint8Array(body))) as unknown as { timeseries: { labels: Label[]; samples: { value: number; timestamp: unknown }[] }[] };
  return msg.timeseries.map((t) => ({ labels: t.labels.map((l) => ({ name: l.name, value: l.value })), samples: t.samples.map((s) => ({ value: s.value, timestamp: Number(s.timestamp) })) }));
}

/** Prometheus' staleness marker: a NaN with this exact bit pattern ends a series at its timestamp. */
export const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

/** Families whose label values change with the device's state: their old series are ended when that happens. */
const STATE_FAMILIES = new Set(['netwatch_device_state', 'netwatch_device_up']);

export interface RemoteWriteOptions {
  url: string;
  intervalMs: number;
  bearerToken?: string;
  /** Series per request (default 5,000). */
  batchSize?: number;
  timeoutMs?: number;
}

/**
 * Pushes the latest-values cache to a Prometheus-compatible remote-write endpoint every interval
 * (for setups where Prometheus may not scrape Netwatch). Every series of GET /metrics/devices, with the
 * same names and labels (`__name__` added, empty ones left out, sorted by name), stamped with the push time. The URL goes
 * through the outbound policy (scope `notify`); a push that fails is logged and counted, the next one
 * sends the then-latest values (nothing is queued: these are gauges and raw counters, the next values
 * supersede them). Counters above 2^53 lose precision here: remote write carries doubles.
 */
export class RemoteWriter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private readonly stats = { pushes: 0, push_failures: 0, series_sent: 0, requests_sent: 0, last_push_ms: 0, stale_markers_sent: 0 };
  /** State series of the last push (`netwatch_device_state`, `netwatch_device_up`), by their label set. */
  private lastStateSeries = new Map<string, Label[]>();

  constructor(
    private readonly deps: { cache: DeviceMetricsCache; outbound: OutboundPolicy; log: Logger; collectorDown?: (site: string) => boolean },
    private readonly opts: RemoteWriteOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  counters(): Record<string, number> {
    return { ...this.stats };
  }

  private tick(): void {
    // One push at a time: a slow endpoint skips intervals instead of piling up requests.
    if (this.running) return;
    this.running = this.push()
      .catch((err: unknown) => {
        this.stats.push_failures++;
        this.deps.log.warn({ err, url: redact(this.opts.url) }, 'remote write failed; the next push sends the latest values');
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** One push of every series now (also what the timer runs). Throws when a request fails. */
  async push(now = Date.now()): Promise<void> {
    const t0 = performance.now();
    const batchSize = this.opts.batchSize ?? 5000;
    let batch: TimeSeries[] = [];
    const headers: Record<string, string> = {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'netwatch-remote-write',
      ...(this.opts.bearerToken ? { authorization: `Bearer ${this.opts.bearerToken}` } : {}),
    };
    const send = async (series: TimeSeries[]) => {
      await postOutbound(this.opts.url, encodeWriteRequest(series), { policy: this.deps.outbound, scope: 'notify', headers, timeoutMs: this.opts.timeoutMs ?? 30_000 });
      this.stats.requests_sent++;
      this.stats.series_sent += series.length;
    };
    let sinceYield = 0;
    const stateSeries = new Map<string, Label[]>();
    for (const s of deviceSamples(this.deps.cache.snapshot(), { collectorDown: this.deps.collectorDown })) {
      // An empty label is no label in Prometheus: not sent (remote-write spec); names sorted.
      const labels: Label[] = [{ name: '__name__', value: s.name }, ...s.labels.filter((l) => l.value !== '')].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (STATE_FAMILIES.has(s.name)) stateSeries.set(JSON.stringify(labels), labels);
      batch.push({ labels, samples: [{ value: typeof s.value === 'string' ? Number(s.value) : s.value, timestamp: now }] });
      if (batch.length >= batchSize) {
        await send(batch);
        batch = [];
      }
      // The main thread serves the API too: a turn of the event loop every few thousand series.
      if (++sinceYield >= 2000) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    // A state that changed (or a device that went): its old series ends now, as a scrape would end it,
    // instead of lingering for Prometheus' lookback window beside the new one.
    let stale = 0;
    for (const [key, labels] of this.lastStateSeries) {
      if (stateSeries.has(key)) continue;
      batch.push({ labels, samples: [{ value: STALE_NAN, timestamp: now }] });
      stale++;
    }
    if (batch.length) await send(batch);
    this.lastStateSeries = stateSeries;
    this.stats.stale_markers_sent += stale;
    this.stats.pushes++;
    this.stats.last_push_ms = Math.round(performance.now() - t0);
  }
}

/** A URL for the log without its credentials. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
