/**
 * Secrets never enter the audit log: values under secret-looking keys are
 * replaced by a marker before anything is stored. Pure.
 */
export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (request bodies, snapshots, channel settings). */
const SECRET_KEY = /pass(word|phrase)?$|secret|communit(y|ies)$|^(auth|priv)(Key|_key)$|token$|^headers$|^authorization$|^cookie$|apiKey$|routingKey$|integrationKey$/i;
/** Flags that only say whether a secret is set are kept (`authKeySet`, `communitySet`). */
const SET_FLAG = /Set$/;
/** URLs can carry credentials (Slack/Teams webhook tokens, user:pass@): keep scheme and host only. */
const URL_KEY = /(^|[a-z])(url|Url|URL)$/;

function redactUrl(v: string): string {
  try {
    const u = new URL(v);
    return `${u.protocol}//${u.host}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}

/**
 * Deep copy of a JSON-like value with secrets replaced. Objects come out
 * without prototypes-as-data surprises: keys are copied as own data with
 * `Object.defineProperty`, so a key named `__proto__` stays data.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Map) return redactSecrets(Object.fromEntries(value), depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    let next: unknown;
    if (v === undefined) continue;
    if (SECRET_KEY.test(k) && !SET_FLAG.test(k)) next = v === null || v === '' ? v : REDACTED;
    else if (URL_KEY.test(k) && typeof v === 'string') next = redactUrl(v);
    else next = redactSecrets(v, depth + 1);
    Object.defineProperty(out, k, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
