import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';
import { AppError, NotFoundError } from './errors.js';

/** 404 for unknown API routes, in the same error shape. */
export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route ${req.method} ${req.baseUrl}${req.path}`));
};

/**
 * The one error middleware: known errors become `{error:{code,message}}` with
 * their status; anything else is logged with its stack and answered with a
 * generic 500 that reveals nothing.
 */
export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof AppError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
      return;
    }
    // body-parser errors (malformed JSON, body too large) carry a 4xx status and a type.
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500 && typeof err?.type === 'string') {
      const code = err.type === 'entity.too.large' ? 'payload_too_large' : 'bad_request';
      const message = err.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : err.type === 'entity.too.large' ? 'Request body is too large' : 'Bad request';
      res.status(status).json({ error: { code, message } });
      return;
    }
    // PostgreSQL refused text it cannot store (U+0000, an invalid sequence) that a route passed on:
    // the request's fault, not the server's.
    if (err?.name === 'PgSyncError' && (err.pgCode === '22021' || err.pgCode === '22P05')) {
      res.status(400).json({ error: { code: 'bad_request', message: 'The request holds text the database cannot store (a NUL character)' } });
      return;
    }
    log.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error in request');
    res.status(500).json({ error: { code: 'internal', message: 'An unexpected error occurred' } });
  };
}
