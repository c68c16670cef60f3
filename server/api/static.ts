import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from '../log/logger.js';

/** Serves the built console, with index.html for client-side routes. */
export function serveConsole(app: Express, clientDir: string, log: Logger): void {
  const index = join(clientDir, 'index.html');
  if (!existsSync(index)) {
    log.warn({ clientDir }, 'console is not built (run `npm run build`); serving the API only');
    app.get(/^\/(?!api\/|socket\.io\/|metrics$).*/, (_req, res) => {
      res.status(503).type('text/plain').send('The Netwatch console is not built. Run `npm run build` (or `npm start`, which builds first).\n');
    });
    return;
  }
  app.use(express.static(clientDir, { index: false, maxAge: '1h', setHeaders: (res, path) => {
    if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
  } }));
  app.get(/^\/(?!api\/|socket\.io\/|metrics$).*/, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
