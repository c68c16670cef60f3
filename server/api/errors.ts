/** Typed domain errors; the one error middleware maps them to HTTP answers. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'validation_failed', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(message = 'Too many requests, try again later') {
    super(429, 'rate_limited', message);
  }
}

/** A state-changing request from another site (CSRF) or over a cross-site WebSocket. */
export class CrossSiteRequestError extends AppError {
  constructor(message = 'Cross-site request refused: use the Netwatch console itself, or an API token') {
    super(403, 'cross_site_refused', message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message = 'Send the request body as application/json') {
    super(415, 'unsupported_media_type', message);
  }
}

/** `5000` -> `5 s`, `750` -> `750 ms`. */
const budgetText = (ms: number) => (ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** A read over its time budget (`queryTimeoutMs`): it was stopped, not left running. */
export class QueryTimeoutError extends AppError {
  constructor(readonly timeoutMs: number) {
    super(
      503,
      'query_timeout',
      `The query took longer than ${budgetText(timeoutMs)} and was stopped; narrow the filter (a shorter time range, a device, a source or a severity) and try again`,
    );
  }
}

/** Every reader thread is busy and too many reads already wait: answered at once instead of piling up. */
export class ReadsBusyError extends AppError {
  constructor(message = 'The server is busy answering other reads; try again in a moment') {
    super(503, 'reads_busy', message);
  }
}
