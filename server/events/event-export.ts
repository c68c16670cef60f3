/**
 * Events as downloadable text: CSV (RFC 4180) or JSON lines. Pure functions,
 * run by the reader thread that produces each page of an export.
 */
import type { StoredEvent } from '../contracts/events.js';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** CSV columns: the API's fields (times as ISO 8601 UTC, params as JSON) plus the device's name. */
export const CSV_COLUMNS = ['id', 'receivedAt', 'reportedAt', 'source', 'sourceAddress', 'deviceId', 'device', 'severity', 'type', 'message', 'params'] as const;

const CRLF = '\r\n';

/**
 * One CSV cell. A text that a spreadsheet would run as a formula (it starts
 * with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so
 * a message like `=HYPERLINK(…)` from a device stays text; then RFC 4180
 * quoting: a cell with a comma, a quote or a line break is enclosed in quotes,
 * inner quotes doubled.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = value;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (ms: number | null) => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

function paramsText(params: unknown): string {
  try {
    return JSON.stringify(params ?? {});
  } catch {
    return '{}';
  }
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + CRLF;
}

export function csvRow(e: StoredEvent, deviceName: string | null): string {
  return (
    [
      csvCell(e.id),
      csvCell(iso(e.receivedAt)),
      csvCell(iso(e.reportedAt)),
      csvCell(e.source),
      csvCell(e.sourceAddress),
      csvCell(e.deviceId),
      csvCell(deviceName),
      csvCell(e.severity),
      csvCell(e.type),
      csvCell(e.message),
      csvCell(paramsText(e.params)),
    ].join(',') + CRLF
  );
}

/** One JSON line with exactly the fields of `GET /api/v1/events` items. */
export function jsonLine(e: StoredEvent): string {
  const { id, receivedAt, reportedAt, source, sourceAddress, deviceId, severity, type, message, params } = e;
  return JSON.stringify({ id, receivedAt, reportedAt, source, sourceAddress, deviceId, severity, type, message, params }) + '\n';
}

/** Text of a page of events (newest first, as listed); the CSV header when `header` is set. */
export function formatEvents(events: readonly StoredEvent[], format: ExportFormat, deviceNames: ReadonlyMap<number, string>, header: boolean): string {
  const parts: string[] = [];
  if (format === 'csv') {
    if (header) parts.push(csvHeader());
    for (const e of events) parts.push(csvRow(e, e.deviceId === null ? null : (deviceNames.get(e.deviceId) ?? null)));
  } else {
    for (const e of events) parts.push(jsonLine(e));
  }
  return parts.join('');
}

/** `netwatch-events-20261206T235700Z.csv` */
export function exportFileName(format: ExportFormat, now = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `netwatch-events-${stamp}.${format}`;
}
