import type { IncomingMessage } from 'node:http';
import type { Express } from 'express';
import { attachRealtime } from '../realtime/socket.js';
import type { ApiModule } from './api.module.js';
import { Late, type AppContext, type Module } from './module.js';

/** socket.io on the API's HTTP server: live events, alarms and counters pushed to signed-in consoles. */
export function realtimeModule(ctx: AppContext, deps: { api: ApiModule }): Module {
  const realtime = new Late<ReturnType<typeof attachRealtime>>('realtime');
  return {
    name: 'realtime',
    async start() {
      const { app, server, auth } = deps.api;
      realtime.set(
        attachRealtime(server, {
          auth,
          bus: ctx.bus,
          log: ctx.log('realtime'),
          counters: () => ctx.metrics.snapshot(),
          // The browser's origin is checked against the host it connected to, as express sees it.
          requestHost: (req) => hostOf(app, req),
        }),
      );
    },
    async stop() {
      await realtime.get().close();
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
