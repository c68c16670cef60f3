import type { Response } from 'express';
import { z } from 'zod';
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportFileName, type ExportFormat } from '../events/event-export.js';
import type { Logger } from '../log/logger.js';
import type { EventQuery } from '../store/event.repository.js';
import type { ExportPage, Reads } from '../store/read-ops.js';
import { ReadsBusyError } from './errors.js';
import type { ApiRegistry } from './registry.js';

/** Rows per page: each page is one read (with its own time budget) on a reader thread. */
export const EXPORT_PAGE_ROWS = 1000;
/** Exports running at once; more are answered 503 reads_busy. */
export const MAX_EXPORTS = 4;
/** A client that reads nothing for this long loses its download. */
export const EXPORT_STALL_MS = 60_000;

/** Counters of the `export` component. */
export class ExportStats {
  active = 0;
  started = 0;
  completed = 0;
  /** The client went away (or stopped reading for EXPORT_STALL_MS) before the end. */
  aborted = 0;
  /** A page failed or ran over its time budget after the download had begun: the download was cut. */
  failed = 0;
  refused_busy = 0;
  rows = 0;
  bytes = 0;

  counters(): Record<string, number> {
    const { active, started, completed, aborted, failed, refused_busy, rows, bytes } = this;
    return { active, started, completed, aborted, failed, refused_busy, rows, bytes };
  }
}

export interface EventExportDeps {
  reads: Reads;
  /** Device id -> name pairs for the CSV's device column. */
  deviceNames: () => [number, string][];
  stats: ExportStats;
  log: Logger;
}

type Filter = Omit<EventQuery, 'limit' | 'beforeId'>;

/** Resolves when the response can take more (`drain`), the client is gone (`close`) or `ms` passed (false). */
function writable(res: Response, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Streams every event matching `filter`, newest first, a page at a time: a
 * reader thread reads and formats a page, the main thread writes it. The next
 * page is asked for while one is written, and no further until the socket has
 * taken it (backpressure), so memory holds about two pages whatever the size
 * of the result. Each page has the normal read budget (`queryTimeoutMs`); the
 * download as a whole has none while data flows. No read transaction stays
 * open between pages, so a slow client never holds back the WAL checkpoint.
 */
export async function streamEvents(res: Response, deps: EventExportDeps, filter: Filter, format: ExportFormat, cursor: number | undefined): Promise<void> {
  const { reads, stats } = deps;
  const deviceNames = format === 'csv' ? deps.deviceNames() : [];
  const page = (beforeId: number | undefined, header: boolean): Promise<ExportPage> =>
    reads.run('events.exportPage', { filter, beforeId, limit: EXPORT_PAGE_ROWS, format, deviceNames, header });

  // The first page before any header: a failure or timeout here is an ordinary error answer.
  let current = await page(cursor, true);
  let gone = false;
  const onClose = () => {
    if (!res.writableFinished) gone = true;
  };
  res.on('close', onClose);
  res.status(200);
  res.set({
    'Content-Type': EXPORT_CONTENT_TYPES[format],
    'Content-Disposition': `attachment; filename="${exportFileName(format)}"`,
    'Cache-Control': 'no-store',
  });
  try {
    for (;;) {
      const next = current.nextCursor !== null ? page(current.nextCursor, false) : null;
      next?.catch(() => undefined); // awaited below, or dropped when the client is gone
      stats.rows += current.rows;
      stats.bytes += current.bytes.byteLength;
      const ok = res.write(current.bytes);
      if (!ok && !gone && !(await writable(res, EXPORT_STALL_MS))) {
        deps.log.warn({ stallMs: EXPORT_STALL_MS }, 'export stopped: the client read nothing for too long');
        gone = true;
        res.destroy();
      }
      if (gone) {
        stats.aborted++;
        return;
      }
      if (!next) break;
      current = await next;
    }
    res.end();
    stats.completed++;
  } catch (err) {
    // Headers are out: the answer cannot become an error any more. Cutting the connection makes the
    // download end as failed (a truncated chunked body), never as a complete file.
    stats.failed++;
    deps.log.warn({ err }, 'export cut short: a page failed');
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

/** GET /events/export, with the filter parameters of GET /events (`filterFields`, `toFilter` from events.routes.ts). */
export function registerEventExportRoute<F extends z.ZodRawShape>(
  api: ApiRegistry,
  deps: EventExportDeps,
  filterFields: F,
  toFilter: (query: z.infer<z.ZodObject<F>>) => Filter,
): void {
  const query = z.object({ ...filterFields, format: z.enum(EXPORT_FORMATS).default('csv') }).strict();
  api.add(
    {
      method: 'get',
      path: '/events/export',
      summary:
        'Download the events matching the filters of GET /events (newest first) as CSV (RFC 4180, header row) or JSON lines (?format=csv|jsonl), streamed; cursor starts below an event id',
      tag: 'events',
      access: 'viewer',
      query,
      response: 'text/csv or application/x-ndjson attachment',
    },
    async ({ query: q, req, res }) => {
      const { format, cursor } = q as unknown as { format: ExportFormat; cursor?: number };
      if (req.method === 'HEAD') {
        res.status(200).set({ 'Content-Type': EXPORT_CONTENT_TYPES[format], 'Content-Disposition': `attachment; filename="${exportFileName(format)}"` }).end();
        return;
      }
      if (deps.stats.active >= MAX_EXPORTS) {
        deps.stats.refused_busy++;
        throw new ReadsBusyError(`${MAX_EXPORTS} exports are already running; try again when one has finished`);
      }
      deps.stats.active++;
      deps.stats.started++;
      try {
        await streamEvents(res, deps, toFilter(q as z.infer<z.ZodObject<F>>), format, cursor);
      } finally {
        deps.stats.active--;
      }
    },
  );
}
