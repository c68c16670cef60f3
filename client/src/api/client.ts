/**
 * The one API client of the console: JSON over fetch with the session cookie.
 * Every non-2xx answer becomes a thrown ApiError carrying the server's
 * `{error:{code,message,details}}`; a 401 also tells the app (once wired in
 * main.ts) to send the user to the login page.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  /** Do not trigger the "go to login" handler on 401 (login itself, the session probe). */
  allowUnauthorized?: boolean;
  signal?: AbortSignal;
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler | null = null;

/** Registers what happens when any call answers 401 (normally: clear the session, go to login). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  onUnauthorized = handler;
}

const FALLBACK_MESSAGES: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'You are not logged in',
  403: 'You are not allowed to do this',
  404: 'Not found',
  409: 'This conflicts with existing data',
  429: 'Too many attempts; wait a moment and try again',
};

async function toApiError(res: Response): Promise<ApiError> {
  let code = res.status === 429 ? 'rate_limited' : `http_${res.status}`;
  let message = FALLBACK_MESSAGES[res.status] ?? `The server answered ${res.status}`;
  let details: unknown;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (body && typeof body.error === 'object' && body.error) {
      if (typeof body.error.code === 'string') code = body.error.code;
      if (typeof body.error.message === 'string' && body.error.message) message = body.error.message;
      details = body.error.details;
    }
  } catch {
    // Not JSON (a proxy page, an empty body): keep the fallback message.
  }
  return new ApiError(res.status, code, message, details);
}

async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}, raw?: Blob): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(raw ? { 'content-type': 'application/octet-stream' } : body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'The server cannot be reached');
  }
  if (!res.ok) {
    const error = await toApiError(res);
    if (res.status === 401 && !opts.allowUnauthorized) onUnauthorized?.();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  /** POST with raw bytes (`application/octet-stream`): the MIB bundle upload. */
  postBytes: <T>(path: string, data: Blob, opts?: RequestOptions) => request<T>('POST', path, undefined, opts, data),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body, opts),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PUT', path, body, opts),
  delete: (path: string, opts?: RequestOptions) => request<void>('DELETE', path, undefined, opts),
};

/** A message fit to show a user, from anything a call may throw. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Try again.';
}
