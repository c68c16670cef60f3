import { createHash, timingSafeEqual } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { Router, type Express, type Request, type RequestHandler, type Response } from 'express';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { authenticate } from './auth.middleware.js';
import { apiNotFound, errorMiddleware } from './error-middleware.js';
import { ApiRegistry, type RouteRegistration } from './registry.js';
import { serveConsole } from './static.js';
import { refuseCrossSite } from './same-origin.js';
import { securityHeaders } from './security-headers.js';
import { UnauthorizedError } from './errors.js';
import { serveDeviceMetrics, type DeviceMetricsDeps } from './device-metrics.routes.js';
import { MIB_BUNDLE_PATH } from './mib.routes.js';

export interface ApiDeps {
  log: Logger;
  metrics: Metrics;
  auth: AuthService;
  /** Marks responses for HTTPS (HSTS) when session cookies are Secure. */
  secureCookies: boolean;
  /** Proxies whose X-Forwarded-* headers are believed (express "trust proxy"); empty = none. */
  trustProxy: readonly string[];
  /** When set, /metrics and /metrics/devices answer only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** The latest polled values behind GET /metrics/devices (absent where nothing is stored: no such route). */
  deviceMetrics?: () => Omit<DeviceMetricsDeps, 'log'>;
  clientDir: string;
  /** Records every change made through the API (see `audit` on each route). */
  auditTrail?: AuditTrail;
  /** Every resource's routes, in order: the one place routes are registered (built from the role's modules). */
  routes: readonly RouteRegistration[];
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
        const route = (res.locals.route as string | undefined) ?? (req.originalUrl.startsWith('/api/') ? '/api/v1/*' : req.path === '/metrics' || req.path === '/metrics/devices' ? req.path : 'console');
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

  const checkMetricsToken = (req: Request, res: Response) => {
    if (deps.metricsToken !== undefined && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedError(`GET ${req.path} needs "Authorization: Bearer <metricsToken>"`);
    }
  };
  app.get('/metrics', async (req, res, next) => {
    try {
      checkMetricsToken(req, res);
      res.set('Content-Type', deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  const deviceMetrics = deps.deviceMetrics;
  if (deviceMetrics) {
    const log = deps.log;
    app.get('/metrics/devices', async (req, res, next) => {
      try {
        checkMetricsToken(req, res);
      } catch (err) {
        return next(err);
      }
      await serveDeviceMetrics(req, res, { ...deviceMetrics(), log });
    });
  }

  const router = Router();
  const registry = new ApiRegistry(router, deps.auditTrail);
  router.use(refuseCrossSite({ rawBodyPaths: new Set([MIB_BUNDLE_PATH]) }));
  router.use(express.json({ limit: '1mb' }));
  router.use(cookieParser());
  router.use(authenticate(deps.auth));

  for (const register of deps.routes) register(registry, router);
  router.use(apiNotFound);

  app.use('/api/v1', router);
  serveConsole(app, deps.clientDir, deps.log);
  app.use(errorMiddleware(deps.log));
  return { app, registry };
}
