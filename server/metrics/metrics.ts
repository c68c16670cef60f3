import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { serverMetrics } from './server-metrics.js';

/** A component that exposes plain counters (a listener, the poller, the writer). */
export interface CounterSource {
  /** Label value, e.g. `syslog-udp`. */
  name: string;
  counters(): Record<string, number>;
}

/**
 * The server's own metrics, one registry per server instance (so tests can run
 * several). Exported at GET /metrics in Prometheus text format; the status page
 * shows the same numbers.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly sources: CounterSource[] = [];
  /** The same counters under well-named metrics (intake, events, poller): see server-metrics.ts. */
  private readonly named: ReturnType<typeof serverMetrics>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'netwatch_process_' });
    this.httpRequests = new Counter({
      name: 'netwatch_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'netwatch_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    const read = () => this.readOncePerTurn();
    new Gauge({
      name: 'netwatch_component_counter',
      help: 'Counters of listeners and workers (received, parsed, parse_errors, stored, dropped, kernel drops, …) by component',
      labelNames: ['component', 'counter'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [component, counters] of read()) {
          for (const [counter, value] of Object.entries(counters)) this.set({ component, counter }, value);
        }
      },
    });
    this.named = serverMetrics(this.registry, read);
  }

  private lastRead: Map<string, Record<string, number>> | null = null;

  /**
   * Every source's counters by component, read at most once per turn of the event loop: the
   * collect() calls of one scrape share one reading (some sources read /proc), later calls read again.
   */
  private readOncePerTurn(): ReadonlyMap<string, Record<string, number>> {
    if (!this.lastRead) {
      const read = new Map<string, Record<string, number>>();
      for (const s of this.sources) read.set(s.name, { ...read.get(s.name), ...s.counters() });
      this.lastRead = read;
      setImmediate(() => (this.lastRead = null));
    }
    return this.lastRead;
  }

  addSource(source: CounterSource): void {
    this.sources.push(source);
    this.named.added(source.name);
  }

  /** `component.counter` -> value, for the status page and socket pushes. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.sources) {
      for (const [counter, value] of Object.entries(s.counters())) out[`${s.name}.${counter}`] = value;
    }
    return out;
  }
}
