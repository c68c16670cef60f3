import type { Request } from 'express';
import type { AuditEntryDto } from '../contracts/audit.js';
import type { AuthUser } from '../auth/auth.service.js';
import type { Logger } from '../log/logger.js';
import type { AuditWrite } from '../store/audit.repository.js';
import { redactSecrets } from './audit-redact.js';

/** How a change route is audited. Every non-GET route declares one (or `false` when it changes nothing). */
export interface AuditSpec {
  /** Object kind, e.g. `device`, `alarm`, `user`. */
  object: string;
  /** Verb; default `create` (POST to a collection), `update` (PUT/PATCH), `delete`, or the last path segment (`/alarms/:id/ack` -> `ack`). */
  action?: string;
  /** The object by id, for the before/after snapshot (redacted before it is stored). */
  load?: (id: number) => unknown;
  /** The object by a text id (e.g. a collector's UUID), for objects whose `:id` is not a number. */
  loadText?: (id: string) => unknown;
  /** The object's id when it is not `:id` (nor `result.id` on a create). */
  objectId?: (ctx: { params: Record<string, string>; body: unknown; result: unknown; user: AuthUser | undefined }) => string | number | null | undefined;
  /** Also record refused attempts with this status (e.g. 401 on login: failed logins). */
  recordFailures?: number[];
  /** Who acts on a public route that has no user (e.g. `link` for a signed acknowledge link). */
  actor?: string;
}

export interface AuditSink {
  record(entry: AuditWrite): unknown;
}

/** Longest request body kept in `details`, as JSON; longer ones keep their keys only. */
const MAX_DETAILS = 8192;

function defaultAction(method: string, path: string): string {
  if (method === 'patch' || method === 'put') return 'update';
  if (method === 'delete') return 'delete';
  const last = path.split('/').filter(Boolean).pop() ?? '';
  return last.startsWith(':') || /s$/.test(last) ? 'create' : last;
}

function details(body: unknown): unknown {
  // A raw upload (MIB bundle): its size only, never its bytes (or a key per byte).
  if (body instanceof Uint8Array) return { binary: true, bytes: body.length };
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return undefined;
  const red = redactSecrets(body);
  const text = JSON.stringify(red);
  if (text.length <= MAX_DETAILS) return red;
  return { truncated: true, bytes: text.length, keys: typeof red === 'object' && red ? Object.keys(red) : [] };
}

const idOf = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

function nameOf(snapshot: unknown): string | null {
  if (!snapshot || typeof snapshot !== 'object') return null;
  const o = snapshot as Record<string, unknown>;
  for (const k of ['name', 'username', 'title', 'filename', 'hostname']) if (typeof o[k] === 'string') return o[k] as string;
  return null;
}

export interface AuditedCall {
  spec: { method: string; path: string; audit: AuditSpec };
  req: Request;
  user: AuthUser | undefined;
  params: Record<string, string>;
  /** The raw request body (redacted here). */
  body: unknown;
  /** The status the route answers with on success. */
  successStatus: (result: unknown) => number;
}

/**
 * Wraps a change: snapshot before, run, snapshot after, one entry with the
 * user, time and source address. A failure to write the entry is logged and
 * counted, never turned into a failure of the change that already happened.
 */
export class AuditTrail {
  recorded = 0;
  failed = 0;

  constructor(
    private readonly sink: AuditSink,
    private readonly log: Logger,
  ) {}

  async around<T>(call: AuditedCall, run: () => Promise<T>): Promise<T> {
    const { spec, params } = call;
    const a = spec.audit;
    const paramId = idOf(params.id);
    let before: unknown;
    if (a.load && paramId !== undefined) before = this.snapshot(a, paramId);
    else if (a.loadText && typeof params.id === 'string') before = this.snapshotText(a, params.id);
    let result: T;
    try {
      result = await run();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      if (status === 403 || a.recordFailures?.includes(status)) {
        const id = a.objectId?.({ params, body: call.body, result: undefined, user: call.user }) ?? paramId ?? null;
        this.write(call, { status, outcome: status === 403 ? 'denied' : 'failed', before, after: undefined, objectId: id });
      }
      throw err;
    }
    const explicit = a.objectId?.({ params, body: call.body, result, user: call.user });
    const resultId = result && typeof result === 'object' ? idOf((result as { id?: unknown }).id) : undefined;
    const id = explicit ?? paramId ?? resultId ?? null;
    const numeric = idOf(id);
    const after = a.load && numeric !== undefined && spec.method !== 'delete' ? this.snapshot(a, numeric) : undefined;
    // A login has no user yet: the one it authenticated is in its answer.
    const actor = !call.user && result && typeof result === 'object' ? (result as { user?: Partial<AuthUser> }).user : undefined;
    const who = actor && typeof actor.id === 'number' && typeof actor.username === 'string' ? { ...call, user: actor as AuthUser } : call;
    this.write(who, { status: call.successStatus(result), outcome: 'ok', before, after, objectId: id });
    return result;
  }

  private snapshotText(a: AuditSpec, id: string): unknown {
    try {
      return a.loadText!(id) ?? null;
    } catch (err) {
      this.log.warn({ err, object: a.object, id }, 'audit snapshot failed');
      return null;
    }
  }

  private snapshot(a: AuditSpec, id: number): unknown {
    try {
      return a.load!(id) ?? null;
    } catch (err) {
      this.log.warn({ err, object: a.object, id }, 'audit snapshot failed');
      return null;
    }
  }

  private write(
    call: AuditedCall,
    r: { status: number; outcome: AuditEntryDto['outcome']; before: unknown; after: unknown; objectId: string | number | null },
  ): void {
    const { spec, req, user } = call;
    const a = spec.audit;
    const before = r.before === undefined ? undefined : redactSecrets(r.before);
    const after = r.after === undefined ? undefined : redactSecrets(r.after);
    // Failed logins name the account tried, never the password.
    const tried = !user && call.body && typeof call.body === 'object' ? (call.body as { username?: unknown }).username : undefined;
    const username = user?.username ?? a.actor ?? (typeof tried === 'string' ? tried.slice(0, 200) : null);
    try {
      this.sink.record({
        at: Date.now(),
        userId: user?.id ?? null,
        username,
        role: user?.role ?? null,
        sourceAddress: req.ip ?? req.socket.remoteAddress ?? null,
        action: `${a.object}.${a.action ?? defaultAction(spec.method, spec.path)}`,
        objectType: a.object,
        objectId: r.objectId === null ? null : String(r.objectId),
        // A session is named by its user (`Logged in  admin`).
        objectName: nameOf(after) ?? nameOf(before) ?? (a.object === 'session' ? username : null),
        method: spec.method.toUpperCase(),
        path: req.originalUrl.split('?')[0]!.slice(0, 500),
        status: r.status,
        outcome: r.outcome,
        before,
        after,
        details: details(call.body),
      });
      this.recorded++;
    } catch (err) {
      this.failed++;
      this.log.error({ err, action: a.object }, 'audit entry could not be written');
    }
  }

  counters(): Record<string, number> {
    return { recorded: this.recorded, failed: this.failed };
  }
}
