import { createHash, timingSafeEqual } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { Router, type Express, type RequestHandler } from 'express';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AuthService } from '../auth/auth.service.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import type { AuthTokenRepository } from '../store/auth-token.repository.js';
import type { DeviceRepository } from '../store/device.repository.js';
import type { UserRepository } from '../store/user.repository.js';
import { authenticate } from './auth.middleware.js';
import { registerAuthRoutes } from './auth.routes.js';
import { registerDeviceRoutes } from './devices.routes.js';
import { apiNotFound, errorMiddleware } from './error-middleware.js';
import { buildOpenApi } from './openapi.js';
import { ApiRegistry } from './registry.js';
import { registerSystemRoutes, type SystemInfo } from './system.routes.js';
import { registerTokenRoutes } from './tokens.routes.js';
import { registerUserRoutes } from './users.routes.js';
import { serveConsole } from './static.js';
import { refuseCrossSite } from './same-origin.js';
import { securityHeaders } from './security-headers.js';
import { UnauthorizedError } from './errors.js';

export interface ApiDeps {
  log: Logger;
  metrics: Metrics;
  bus: EventBus;
  auth: AuthService;
  users: UserRepository;
  tokens: AuthTokenRepository;
  devices: DeviceRepository;
  info: SystemInfo;
  secureCookies: boolean;
  loginRateLimit: number;
  /** Proxies whose X-Forwarded-* headers are believed (express "trust proxy"); empty = none. */
  trustProxy: readonly string[];
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  clientDir: string;
  /** Records every change made through the API (see `audit` on each route). */
  auditTrail?: AuditTrail;
  /** Outbound policy: device addresses it denies are refused. */
  outbound: OutboundPolicy;
  /** Extra resource routers (one function per resource), registered after the built-in ones. */
  extraRoutes?: ((api: ApiRegistry, router: Router) => void)[];
}

/**
 * Counts every request by its route pattern (not its raw URL, to keep label
 * cardinality low). The hook runs after the response, outside any request's
 * error handling: whatever it throws is logged and counted (`http` component,
 * `hook_errors`), never left to end the process.
 */
function httpMetrics(metrics: Metrics, log: Logger): RequestHandler {
  let hookErrors = 0;
  metrics.addSource({ name: 'http', counters: () => ({ hook_errors: hookErrors }) });
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      try {
        const route = (res.locals.route as string | undefined) ?? (req.originalUrl.startsWith('/api/') ? '/api/v1/*' : req.path === '/metrics' ? '/metrics' : 'console');
        metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
        end({ method: req.method, route });
      } catch (err) {
        hookErrors++;
        log.error({ err, method: req.method, url: req.originalUrl }, 'request metrics hook failed');
      }
    });
    next();
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>` equal to `expected`, compared in constant time. */
function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return !!m && timingSafeEqual(sha256(m[1]!), sha256(expected));
}

export function createHttpApp(deps: ApiDeps): { app: Express; registry: ApiRegistry } {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For/-Proto/-Host count only from the configured proxies (none by default).
  app.set('trust proxy', deps.trustProxy.length ? [...deps.trustProxy] : false);
  app.use(httpMetrics(deps.metrics, deps.log));
  app.use(securityHeaders({ https: deps.secureCookies }));

  app.get('/metrics', async (req, res, next) => {
    try {
      if (deps.metricsToken !== undefined && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new UnauthorizedError('GET /metrics needs "Authorization: Bearer <metricsToken>"');
      }
      res.set('Content-Type', deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  const router = Router();
  const registry = new ApiRegistry(router, deps.auditTrail);
  router.use(refuseCrossSite());
  router.use(express.json({ limit: '1mb' }));
  router.use(cookieParser());
  router.use(authenticate(deps.auth));

  const openapi = () => buildOpenApi(registry, deps.info.version);
  registerSystemRoutes(registry, { info: deps.info, metrics: deps.metrics, openapi });
  registerAuthRoutes(registry, router, { auth: deps.auth, users: deps.users, secureCookies: deps.secureCookies, loginRateLimit: deps.loginRateLimit });
  registerUserRoutes(registry, { users: deps.users, auth: deps.auth });
  registerTokenRoutes(registry, { auth: deps.auth, tokens: deps.tokens });
  registerDeviceRoutes(registry, { devices: deps.devices, bus: deps.bus, outbound: deps.outbound });
  for (const extra of deps.extraRoutes ?? []) extra(registry, router);
  router.use(apiNotFound);

  app.use('/api/v1', router);
  serveConsole(app, deps.clientDir, deps.log);
  app.use(errorMiddleware(deps.log));
  return { app, registry };
}
