/**
 * The small pieces of the Prometheus text format 0.0.4 and OpenMetrics 1.0.0 that GET /metrics/devices
 * writes (https://prometheus.io/docs/instrumenting/exposition_formats/, OpenMetrics spec). Pure.
 */
export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = Object.freeze({
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
});

const NEEDS_ESCAPE = /[\\"\n]/;

/** A label value as both formats want it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped (text 0.0.4); OpenMetrics also escapes the quote. */
export function escapeHelp(v: string, format: ExpositionFormat): string {
  const s = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? s.replace(/"/g, '\\"') : s;
}

/** `a="x",b="y"` from fixed label names and (hostile) values. */
export function labelPairs(pairs: readonly (readonly [string, string])[]): string {
  let s = '';
  for (const [name, value] of pairs) s += `${s ? ',' : ''}${name}="${escapeLabelValue(value)}"`;
  return s;
}

/** A sample value: exact decimal text passes as is; numbers as Go's ParseFloat reads them (NaN, +Inf, -Inf). */
export function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

/**
 * The format a scrape asked for: OpenMetrics with `?format=openmetrics`, or when the Accept header
 * takes OpenMetrics but not text/plain; the text format otherwise (as snmp_exporter serves, so
 * Prometheus stores the counters under their MIB names, without `_total`).
 */
export function pickFormat(query: unknown, accepts: { openmetrics: boolean; text: boolean }): ExpositionFormat {
  if (query === 'openmetrics') return 'openmetrics';
  if (query === 'text') return 'text';
  return accepts.openmetrics && !accepts.text ? 'openmetrics' : 'text';
}

/**
 * What an Accept header takes: OpenMetrics (`application/openmetrics-text`, any version) and the text
 * format (`text/plain`, `text/*` or `*\/*`), each with q > 0. No header takes anything.
 */
export function acceptsOf(header: string | undefined): { openmetrics: boolean; text: boolean } {
  if (header === undefined || header.trim() === '') return { openmetrics: false, text: true };
  const out = { openmetrics: false, text: false };
  for (const part of header.slice(0, 4096).split(',')) {
    const [type = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (type === 'application/openmetrics-text') out.openmetrics = true;
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') out.text = true;
  }
  return out;
}
