import type { IncomingMessage } from 'node:http';
import type { Express } from 'express';
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import { ensureSocketIoAttachments } from '../store/pg/socket-io-attachments.js';
import { attachRealtime } from '../realtime/socket.js';
import type { ApiModule } from './api.module.js';
import { Late, type AppContext, type Module } from './module.js';

/** socket.io on the API's HTTP server: live events, alarms and counters pushed to signed-in consoles. */
export function realtimeModule(ctx: AppContext, deps: { api: ApiModule }): Module {
  const realtime = new Late<ReturnType<typeof attachRealtime>>('realtime');
  let pool: pg.Pool | null = null;
  return {
    name: 'realtime',
    async start() {
      const { app, server, auth } = deps.api;
      const log = ctx.log('realtime');
      // The store on PostgreSQL (several central nodes): pushes reach the browsers of every node over LISTEN/NOTIFY.
      let adapter: ReturnType<typeof createAdapter> | undefined;
      if (ctx.config.databaseUrl) {
        pool = new pg.Pool({ connectionString: ctx.config.databaseUrl, max: 4, application_name: 'netwatch-socket.io' });
        pool.on('error', (err) => log.warn({ err }, 'socket.io adapter connection failed'));
        await ensureSocketIoAttachments(pool);
        adapter = createAdapter(pool, { channelPrefix: 'netwatch_socketio', errorHandler: (err) => log.warn({ err }, 'socket.io adapter error') });
      }
      realtime.set(
        attachRealtime(server, {
          auth,
          bus: ctx.bus,
          log,
          counters: () => ctx.metrics.snapshot(),
          // The browser's origin is checked against the host it connected to, as express sees it.
          requestHost: (req) => hostOf(app, req),
          adapter,
        }),
      );
    },
    async stop() {
      await realtime.get().close();
      await pool?.end().catch(() => undefined);
      pool = null;
    },
  };
}

/** The host a request was sent to: Host, or X-Forwarded-Host from a trusted proxy (as express's req.host). */
function hostOf(app: Express, req: IncomingMessage): string | undefined {
  const trust = app.get('trust proxy fn') as (addr: string | undefined, i: number) => boolean;
  const fwd = req.headers['x-forwarded-host'];
  if (typeof fwd === 'string' && fwd && trust(req.socket.remoteAddress, 0)) return fwd.split(',')[0]!.trim();
  return req.headers.host;
}
