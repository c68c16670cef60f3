import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthDto } from '../api/system.routes.js';
import { type AppContext, type Module } from './module.js';

export interface HealthModule extends Module {
  readonly httpPort: number;
}

/**
 * A collector has no API and no console: on httpHost:httpPort it answers only
 * GET /api/v1/health (the same public answer as the centre's: version, uptime,
 * bound syslog/trap ports) and 404 to anything else.
 */
export function healthModule(ctx: AppContext, deps: { version: string }): HealthModule {
  const { config } = ctx;
  let server: Server | undefined;
  let httpPort = 0;
  return {
    name: 'health',
    get httpPort() {
      return httpPort;
    },
    async start() {
      const s = createServer((req, res) => {
        const path = (req.url ?? '').split('?')[0];
        if (req.method === 'GET' && path === '/api/v1/health') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(healthDto(deps.version, ctx.startedAt, httpPort, ctx.listeners)));
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'not_found', message: 'a collector answers only GET /api/v1/health' } }));
      });
      httpPort = await new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.httpPort, config.httpHost, () => {
          s.off('error', reject);
          resolve((s.address() as AddressInfo).port);
        });
      });
      server = s;
      ctx.listeners.unshift({ name: 'http', protocol: 'tcp', requestedPort: config.httpPort, boundPort: httpPort, address: config.httpHost, state: 'listening', message: null });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
