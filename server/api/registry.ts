import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Role } from '../contracts/dto.js';
import type { AuthUser } from '../auth/auth.service.js';
import { roleAllows } from '../auth/auth.service.js';
import type { AuditSpec, AuditTrail } from '../audit/audit-trail.js';
import { ForbiddenError, UnauthorizedError, ValidationError } from './errors.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: Method;
  /** Express-style path relative to /api/v1, e.g. `/devices/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** 'public' = no authentication; otherwise the least role allowed. */
  access: 'public' | Role;
  body?: B;
  query?: Q;
  /** Success status (default 200; 204 sends no body). */
  status?: number;
  /** Description of the success response for the OpenAPI document. */
  response?: string;
  /**
   * How the change is audited (who, when, from where, object before/after).
   * Every non-GET route declares it; `false` for requests that change nothing (dry runs, reads by POST).
   */
  audit?: AuditSpec | false;
  /**
   * Text from the network (an intake of alerts) may carry U+0000: it is kept as the events keep
   * it. Every other route refuses NUL in its body, query and path (a name or a setting never
   * holds one, and PostgreSQL's text cannot store it).
   */
  allowNul?: boolean;
}

export interface HandlerContext<B, Q> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: Record<string, string>;
  /** Present on every route except public ones. */
  user: AuthUser;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

/** Where in `value` a string holds U+0000 (a dotted path, '' for the value itself), or null. */
export function nulPath(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const at = path ? `${path}.${k}` : String(k);
    if (typeof k === 'string' && k.includes('\u0000')) return at;
    const found = nulPath(v, at, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

function refuseNul(value: unknown, where: string): void {
  const at = nulPath(value);
  if (at !== null) throw new ValidationError(`Invalid ${where}: ${at || '(root)'}: text may not contain NUL (U+0000) characters`, [{ path: at, message: 'contains U+0000' }]);
}

/** Turns zod issues into the API's validation error. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = details[0];
  throw new ValidationError(`Invalid ${where}: ${first ? `${first.path || '(root)'}: ${first.message}` : 'bad input'}`, details);
}

/**
 * Every API route is declared through here, so the router and the OpenAPI
 * document come from one list and cannot drift apart.
 */
/** Registers one resource's routes (on the registry; on the raw router for the few that need it). */
export type RouteRegistration = (api: ApiRegistry, router: Router) => void;

export class ApiRegistry {
  readonly routes: RouteSpec<z.ZodType | undefined, z.ZodType | undefined>[] = [];

  constructor(
    private readonly router: Router,
    private readonly auditTrail?: AuditTrail,
  ) {}

  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q>,
    handler: (ctx: HandlerContext<Infer<B>, Infer<Q>>) => unknown,
  ): void {
    this.routes.push(spec as RouteSpec<z.ZodType | undefined, z.ZodType | undefined>);
    const audit = spec.method !== 'get' && spec.audit ? spec.audit : undefined;
    const successStatus = (result: unknown) => {
      const status = spec.status ?? 200;
      return status === 204 || result === undefined ? (status === 200 ? 204 : status) : status;
    };
    this.router[spec.method](spec.path, async (req: Request, res: Response) => {
      res.locals.route = `/api/v1${spec.path}`;
      // Own property only: an inherited `user` (a polluted Object.prototype) never authenticates.
      const user = Object.hasOwn(req, 'user') ? req.user : undefined;
      if (spec.access !== 'public' && !user) throw new UnauthorizedError();
      const run = async () => {
        if (spec.access !== 'public' && !roleAllows(user!.role, spec.access)) throw new ForbiddenError();
        if (!spec.allowNul) {
          refuseNul(req.params, 'path');
          refuseNul(req.query, 'query');
          refuseNul(req.body, 'request body');
        }
        const body = spec.body ? parseOrThrow(spec.body, req.body ?? {}, 'request body') : undefined;
        const query = spec.query ? parseOrThrow(spec.query, req.query, 'query') : undefined;
        return handler({
          req,
          res,
          body: body as Infer<B>,
          query: query as Infer<Q>,
          params: req.params as Record<string, string>,
          user: user as AuthUser,
        });
      };
      const result =
        audit && this.auditTrail
          ? await this.auditTrail.around(
              { spec: { method: spec.method, path: spec.path, audit }, req, user, params: req.params as Record<string, string>, body: req.body, successStatus },
              run,
            )
          : await run();
      if (res.headersSent) return;
      const status = successStatus(result);
      if (status === 204 || result === undefined) res.status(status).end();
      else res.status(status).json(result);
    });
  }
}

/** `:id` -> positive integer, or a 404-free 400. */
export function idParam(params: Record<string, string>, name = 'id'): number {
  const v = Number(params[name]);
  if (!Number.isSafeInteger(v) || v <= 0) throw new ValidationError(`${name} must be a positive integer`);
  return v;
}
