import type { HealthDto, ListenerStatus, StatusDto } from '../contracts/dto.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ApiRegistry } from './registry.js';

export interface SystemInfo {
  version: string;
  startedAt: number;
  httpPort: () => number;
  listeners: () => ListenerStatus[];
  /** Where the store is (a file, or a PostgreSQL URL without its password), its size and schema version. */
  database: () => { path: string; sizeBytes: number; schemaVersion: number };
}

const boundPort = (listeners: ListenerStatus[], prefix: string) =>
  listeners.find((l) => l.name.startsWith(prefix) && l.protocol === 'udp')?.boundPort ?? null;
const boundAddresses = (listeners: ListenerStatus[], prefix: string) => [
  ...new Set(listeners.filter((l) => l.name.startsWith(prefix) && l.boundPort !== null && (l.state === 'listening' || l.state === 'fallback')).map((l) => l.address)),
];

/** GET /health's answer (also what a collector's small health server answers). */
export function healthDto(version: string, startedAt: number, httpPort: number, listeners: ListenerStatus[]): HealthDto {
  return {
    status: 'ok',
    version,
    uptimeSec: Math.round((Date.now() - startedAt) / 1000),
    ports: { http: httpPort, syslog: boundPort(listeners, 'syslog'), trap: boundPort(listeners, 'trap') },
    addresses: { syslog: boundAddresses(listeners, 'syslog'), trap: boundAddresses(listeners, 'trap') },
  };
}

export function registerSystemRoutes(api: ApiRegistry, deps: { info: SystemInfo; metrics: Metrics; openapi: () => unknown }): void {
  const { info, metrics } = deps;
  const tag = 'system';
  const uptimeSec = () => Math.round((Date.now() - info.startedAt) / 1000);

  api.add({ method: 'get', path: '/health', summary: 'Liveness, version, uptime and the ports actually bound', tag, access: 'public', response: 'Health' }, (): HealthDto =>
    healthDto(info.version, info.startedAt, info.httpPort(), info.listeners()),
  );

  api.add({ method: 'get', path: '/status', summary: 'Listeners, counters and database facts for the status page', tag, access: 'viewer', response: 'Status' }, (): StatusDto => {
    return {
      version: info.version,
      uptimeSec: uptimeSec(),
      startedAt: info.startedAt,
      listeners: info.listeners(),
      counters: metrics.snapshot(),
      database: info.database(),
    };
  });

  api.add({ method: 'get', path: '/openapi.json', summary: 'This API as an OpenAPI 3.1 document', tag, access: 'public', response: 'OpenAPI document' }, () =>
    deps.openapi(),
  );
}
