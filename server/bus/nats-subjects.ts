/**
 * Names shared by the NATS publisher (remote collectors) and consumer (centre):
 * the JetStream stream, its subjects and the site token inside them. Pure.
 *
 * Subjects: `netwatch.<site>.<kind>`, one message per batch, the payload a JSON array.
 */

/** What a batch carries; the last token of its subject. */
export const BATCH_KINDS = ['events', 'samples', 'status', 'neighbours', 'inventory'] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

export const STREAM_NAME = 'NETWATCH';
export const SUBJECT_PREFIX = 'netwatch';
export const STREAM_SUBJECTS: readonly string[] = BATCH_KINDS.map((k) => `${SUBJECT_PREFIX}.*.${k}`);

/** A site name is one NATS subject token: letters, digits, `_` and `-`, 1–64 characters. */
export const SITE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function siteProblem(site: string): string | undefined {
  return SITE_PATTERN.test(site) ? undefined : `"${site.slice(0, 80)}" is not a site name: use 1-64 letters, digits, "_" or "-" (it becomes a NATS subject token)`;
}

export function isBatchKind(kind: unknown): kind is BatchKind {
  return typeof kind === 'string' && (BATCH_KINDS as readonly string[]).includes(kind);
}

export function subjectFor(site: string, kind: BatchKind): string {
  const problem = siteProblem(site);
  if (problem) throw new Error(problem);
  return `${SUBJECT_PREFIX}.${site}.${kind}`;
}

/** Site and kind of a stream subject, or undefined when it is not one of ours (or its site token is not a valid site). */
export function parseSubject(subject: string): { site: string; kind: BatchKind } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 3 || parts[0] !== SUBJECT_PREFIX) return undefined;
  const [, site = '', kind] = parts;
  if (!SITE_PATTERN.test(site) || !isBatchKind(kind)) return undefined;
  return { site, kind };
}

/** A JetStream message id (`Nats-Msg-Id` header value): printable ASCII without spaces, 1–128 characters. */
export const MSG_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * Collector heartbeats go on core NATS (fire and forget), `netwatch.<site>.heartbeat`: not a batch
 * kind, so no stream subject (`netwatch.*.<kind>`) captures them and nothing piles up while the centre is away.
 */
export const HEARTBEAT_TOKEN = 'heartbeat';
export const HEARTBEAT_SUBSCRIPTION = `${SUBJECT_PREFIX}.*.${HEARTBEAT_TOKEN}`;

export function heartbeatSubject(site: string): string {
  const problem = siteProblem(site);
  if (problem) throw new Error(problem);
  return `${SUBJECT_PREFIX}.${site}.${HEARTBEAT_TOKEN}`;
}
