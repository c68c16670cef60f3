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
