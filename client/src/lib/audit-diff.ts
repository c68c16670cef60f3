/**
 * What an audit entry changed: the fields whose values differ between the
 * object before and after, as dotted paths (pure, for the audit log view).
 */
export interface FieldChange {
  path: string;
  before: string;
  after: string;
}

const show = (v: unknown): string => (v === undefined ? '—' : v === null ? 'null' : typeof v === 'string' ? v : JSON.stringify(v));

function flatten(v: unknown, prefix: string, out: Map<string, unknown>, depth: number): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 6) {
    const keys = Object.keys(v as object);
    if (keys.length === 0 && prefix) out.set(prefix, v);
    for (const k of keys) flatten((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out, depth + 1);
    return;
  }
  if (prefix) out.set(prefix, v);
}

/** Fields that changed; timestamps the server maintains itself are left out. */
export function auditChanges(before: unknown, after: unknown, ignore: readonly string[] = ['updatedAt']): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before ?? {}, '', a, 0);
  flatten(after ?? {}, '', b, 0);
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => !ignore.includes(p.split('.').pop()!));
  const changes: FieldChange[] = [];
  for (const p of paths) {
    const x = show(a.get(p));
    const y = show(b.get(p));
    if (x !== y) changes.push({ path: p, before: x, after: y });
  }
  return changes.sort((m, n) => m.path.localeCompare(n.path));
}

/** Human wording of an action: `device.update` -> `Updated device`. */
export function describeAction(action: string): string {
  const dot = action.lastIndexOf('.');
  const object = action.slice(0, dot).replace(/-/g, ' ');
  const verb = action.slice(dot + 1);
  const past: Record<string, string> = {
    create: 'Created', update: 'Updated', delete: 'Deleted', login: 'Logged in', logout: 'Logged out', ack: 'Acknowledged', unack: 'Unacknowledged',
    clear: 'Cleared', note: 'Added a note to', test: 'Tested', poll: 'Polled', reorder: 'Reordered', upload: 'Uploaded', revoke: 'Revoked',
    start: 'Started', save: 'Saved', reset: 'Reset', bulk: 'Bulk action on',
  };
  if (verb === 'login' || verb === 'logout') return past[verb]!;
  return `${past[verb] ?? verb} ${object}`;
}
