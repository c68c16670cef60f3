/**
 * HTTP for the storm bench: timed GETs with a client timeout (node:http, one
 * keep-alive connection per client so requests queue like one operator's),
 * percentiles, and the /health prober.
 */
import http from 'node:http';

export interface Timed {
  /** HTTP status, or 'timeout' when the client gave up. */
  status: number | 'timeout' | 'error';
  /** Time to the last byte of the body (the timeout when the client gave up). */
  ms: number;
  body: string;
}

export class HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly base: string,
    private readonly headers: Record<string, string> = {},
    private readonly timeoutMs = 30_000,
  ) {}

  get(path: string): Promise<Timed> {
    return this.request('GET', path);
  }

  request(method: string, path: string, body?: unknown): Promise<Timed> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Timed) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(`${this.base}${path}`, {
        method,
        agent: this.agent,
        headers: { ...this.headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, ms: performance.now() - t0, body: Buffer.concat(chunks).toString() }));
        res.on('error', () => done({ status: 'error', ms: performance.now() - t0, body: '' }));
      });
      // The server may still be working on it: the connection is dropped, the next request opens another.
      const timer = setTimeout(() => {
        done({ status: 'timeout', ms: this.timeoutMs, body: '' });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', () => done({ status: 'error', ms: performance.now() - t0, body: '' }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The q-quantile (nearest rank) of xs, rounded to 0.1. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const v = s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))]!;
  return Math.round(v * 10) / 10;
}

export interface ProbeStats {
  samples: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Latency counted from when the probe was due (a stalled server delays the probes behind it too). */
  p99FromDue: number | null;
  failed: number;
}

/**
 * GET /api/v1/health every `intervalMs` on its own connection, one at a time.
 * Each probe is a sample of its own round trip (`ms`). When a probe waits
 * longer than the interval, the probes that fell due meanwhile are not sent in
 * a burst afterwards; they are recorded as what they would have seen (the time
 * from when each was due to the answer), so a stall counts for the whole time
 * it lasted (`p99FromDue`), not as one slow sample. Samples are labelled with
 * what the bench was measuring at the time.
 */
export class HealthProber {
  private readonly client: HttpClient;
  /** ms: null for a probe that fell due while an earlier one was waiting (not sent). */
  private readonly samples: { label: string; ms: number | null; fromDue: number; ok: boolean }[] = [];
  /** What the bench measured from when: a probe belongs to the label current when it fell due. */
  private readonly timeline: { at: number; label: string }[] = [{ at: 0, label: 'idle' }];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(base: string, private readonly intervalMs = 10, timeoutMs = 30_000) {
    this.client = new HttpClient(base, {}, timeoutMs);
  }

  set label(label: string) {
    this.timeline.push({ at: performance.now(), label });
  }

  private labelAt(t: number): string {
    for (let i = this.timeline.length - 1; i >= 0; i--) if (this.timeline[i]!.at <= t) return this.timeline[i]!.label;
    return 'idle';
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      let due = performance.now();
      while (this.running) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const label = this.labelAt(performance.now());
        const r = await this.client.get('/api/v1/health');
        const end = performance.now();
        const ok = r.status === 200;
        this.samples.push({ label, ms: r.ms, fromDue: end - due, ok });
        let next = due + this.intervalMs;
        for (; next < end; next += this.intervalMs) this.samples.push({ label: this.labelAt(next), ms: null, fromDue: end - next, ok });
        due = next;
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.close();
  }

  /** Over the probes taken under `label` (or any of several labels; all probes when omitted). */
  stats(label?: string | string[]): ProbeStats {
    const labels = label === undefined ? null : new Set(Array.isArray(label) ? label : [label]);
    const xs = this.samples.filter((s) => labels === null || labels.has(s.label));
    const sent = xs.flatMap((s) => (s.ms === null ? [] : [s.ms]));
    return {
      samples: sent.length,
      p50: quantile(sent, 0.5),
      p99: quantile(sent, 0.99),
      max: quantile(sent, 1),
      p99FromDue: quantile(xs.map((s) => s.fromDue), 0.99),
      failed: xs.filter((s) => s.ms !== null && !s.ok).length,
    };
  }
}
