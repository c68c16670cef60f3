/** Small display helpers (pure). */

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(totalSec: number): string {
  if (!Number.isFinite(totalSec) || totalSec < 0) return '—';
  const s = Math.floor(totalSec);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago" (a time in the future, e.g. clock skew, is "just now"). */
export function formatAgo(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.floor((now - ms) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export function formatNumber(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

export interface CounterGroup {
  name: string;
  counters: { name: string; label: string; value: number }[];
}

/**
 * Groups counters by the prefix before the first dot ("syslog.received" ->
 * group "syslog", label "received"); names without a dot go to "general".
 * Groups and counters are sorted by name.
 */
export function groupCounters(counters: Record<string, number>): CounterGroup[] {
  const groups = new Map<string, CounterGroup>();
  for (const [name, value] of Object.entries(counters)) {
    const dot = name.indexOf('.');
    const group = dot > 0 ? name.slice(0, dot) : 'general';
    const label = dot > 0 ? name.slice(dot + 1) : name;
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { name: group, counters: [] }));
    g.counters.push({ name, label, value });
  }
  const out = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const g of out) g.counters.sort((a, b) => a.label.localeCompare(b.label));
  return out;
}
