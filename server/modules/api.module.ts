import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Express } from 'express';
import { registerAuditRoutes } from '../api/audit.routes.js';
import { registerAuthRoutes } from '../api/auth.routes.js';
import { registerDashboardRoutes } from '../api/dashboard.routes.js';
import { registerDeviceRoutes, type SiteHealth } from '../api/devices.routes.js';
import { createHttpApp } from '../api/index.js';
import { buildOpenApi } from '../api/openapi.js';
import type { ApiRegistry } from '../api/registry.js';
import { registerSystemRoutes, type SystemInfo } from '../api/system.routes.js';
import { registerTokenRoutes } from '../api/tokens.routes.js';
import { registerUserRoutes } from '../api/users.routes.js';
import { AuthService } from '../auth/auth.service.js';
import { DEFAULT_CLIENT_DIR } from '../paths.js';
import { databaseFacts } from '../store/open-store.js';
import type { DeviceMetricsCache } from '../metrics/device-metrics-cache.js';
import { Late, type AppContext, type Module, type RouteRegistration } from './module.js';
import type { StoreModule } from './store.module.js';

export interface ApiModule extends Module {
  readonly app: Express;
  readonly registry: ApiRegistry;
  readonly server: Server;
  readonly auth: AuthService;
  readonly httpPort: number;
}

/**
 * The HTTP API and console: sessions and tokens, users, devices, status, dashboard, audit, plus
 * every route the role's modules bring (`deps.routes()`, in registration order, this module's first).
 */
export function apiModule(
  ctx: AppContext,
  deps: { store: StoreModule; version: string; routes: () => RouteRegistration[]; siteHealth?: SiteHealth; deviceMetrics?: () => DeviceMetricsCache },
): ApiModule {
  const { config, bus, metrics } = ctx;
  const http = new Late<{ app: Express; registry: ApiRegistry; server: Server }>('the HTTP API');
  const auth = new Late<AuthService>('authentication');
  let httpPort = 0;
  const info = (): SystemInfo => ({
    version: deps.version,
    startedAt: ctx.startedAt,
    httpPort: () => httpPort,
    listeners: () => ctx.listeners,
    database: () => databaseFacts(deps.store.store.db, deps.store.store.backend),
  });
  return {
    name: 'api',
    get app() {
      return http.get().app;
    },
    get registry() {
      return http.get().registry;
    },
    get server() {
      return http.get().server;
    },
    get auth() {
      return auth.get();
    },
    get httpPort() {
      return httpPort;
    },
    async start() {
      const { users, tokens, auditTrail } = deps.store.store;
      auth.set(new AuthService(users, tokens, {
        sessionTtlMs: config.sessionTtlHours * 3_600_000,
        apiTokenTtlMs: config.apiTokenTtlDays > 0 ? config.apiTokenTtlDays * 86_400_000 : null,
        onRevoked: (r) => bus.publish('auth.revoked', r),
      }));
      const { app, registry } = createHttpApp({
        log: ctx.log('api'),
        metrics,
        auth: auth.get(),
        auditTrail,
        secureCookies: config.secureCookies,
        trustProxy: config.trustProxy,
        metricsToken: config.metricsToken,
        deviceMetrics: deps.deviceMetrics ? () => ({ cache: deps.deviceMetrics!(), collectorDown: deps.siteHealth?.allCollectorsDown }) : undefined,
        clientDir: config.clientDir ? resolve(config.clientDir) : DEFAULT_CLIENT_DIR,
        routes: deps.routes(),
      });
      const server = createServer(app);
      http.set({ app, registry, server });
      httpPort = await listen(server, config.httpPort, config.httpHost);
      ctx.listeners.unshift({ name: 'http', protocol: 'tcp', requestedPort: config.httpPort, boundPort: httpPort, address: config.httpHost, state: 'listening', message: null });
    },
    async stop() {
      const { server } = http.get();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
    routes(api, router) {
      const { users, tokens, devices, reads } = deps.store.store;
      registerSystemRoutes(api, { info: info(), metrics, openapi: () => buildOpenApi(api, deps.version) });
      registerAuthRoutes(api, router, { auth: auth.get(), users, secureCookies: config.secureCookies, loginRateLimit: config.loginRateLimit });
      registerUserRoutes(api, { users, auth: auth.get() });
      registerTokenRoutes(api, { auth: auth.get(), tokens });
      registerDeviceRoutes(api, { devices, bus, outbound: ctx.outbound, site: config.site, sites: deps.siteHealth });
      registerDashboardRoutes(api, { reads, metrics, listeners: () => ctx.listeners });
      registerAuditRoutes(api, { reads });
    },
  };
}

/** Binds the HTTP server; resolves with the bound port. */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}
