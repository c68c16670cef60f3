import type { Request, Response } from 'express';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CHUNK_BYTES, ChunkPool, deviceExposition, gzipDeviceExposition } from '../metrics/device-exposition.js';
import type { Logger } from '../log/logger.js';
import type { DeviceMetricsCache } from '../metrics/device-metrics-cache.js';
import { acceptsOf, CONTENT_TYPES, pickFormat } from '../metrics/exposition-text.js';

export interface DeviceMetricsDeps {
  cache: DeviceMetricsCache;
  log: Logger;
  /** The site has registered collectors and all are down. */
  collectorDown?: (site: string) => boolean;
}

/** What may wait in memory for the scraper to read it before making more waits for `drain`. */
const BUFFERED_BYTES = 4 * 1024 * 1024;

/** Counted per process: scrapes served (of which gzip: the pre-compressed pieces), aborted by the client, failed. */
export const deviceScrapeStats = { scrapes: 0, scrapes_gzip: 0, scrapes_aborted: 0, scrapes_failed: 0 };

/**
 * GET /metrics/devices: the latest-values cache as Prometheus text (OpenMetrics when asked), streamed:
 * each chunk (256 KiB, about 1,300 lines) is written with backpressure (waits for `drain` past 4 MiB buffered) and the event
 * loop gets a turn between chunks, so a scrape of millions of series never holds the main thread for long.
 * Chunk buffers are used again once written (ChunkPool). A scrape that accepts gzip (Prometheus always
 * does) gets the text format as one gzip stream joined from the DEFLATE pieces kept per device and
 * family, made at poll time (gzipDeviceExposition); OpenMetrics and scrapes without gzip are made at scrape time.
 */
export async function serveDeviceMetrics(req: Request, res: Response, deps: DeviceMetricsDeps): Promise<void> {
  const format = pickFormat(req.query.format, acceptsOf(req.headers.accept));
  res.status(200);
  res.set('Content-Type', CONTENT_TYPES[format]);
  res.set('Cache-Control', 'no-store');
  res.set('Vary', 'Accept-Encoding');
  // gzip (what Prometheus always asks for) for the text format: the devices' pre-compressed pieces.
  // Only when asked for: no Accept-Encoding header (curl without --compressed) gets the plain text.
  const gzip = format === 'text' && req.headers['accept-encoding'] !== undefined && req.acceptsEncodings('gzip', 'identity') === 'gzip';
  if (gzip) res.set('Content-Encoding', 'gzip');
  // HEAD (express routes it here too): the headers only, without making the whole exposition for nothing.
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let aborted = false;
  const onClose = () => {
    if (!res.writableFinished) aborted = true;
  };
  res.on('close', onClose);
  try {
    const pool = new ChunkPool(CHUNK_BYTES, Math.ceil(BUFFERED_BYTES / CHUNK_BYTES) + 2);
    // The pieces of devices polled since their last making, made first (in slices, yielding).
    if (gzip) await deps.cache.settle();
    const devices = deps.cache.snapshot();
    const chunks = gzip
      ? gzipDeviceExposition(devices, { collectorDown: deps.collectorDown, pool })
      : deviceExposition(devices, { format, collectorDown: deps.collectorDown, pool });
    for await (const chunk of chunks) {
      if (aborted || res.destroyed) break;
      // The buffer goes back to the pool once the socket has taken it (or failed to).
      res.write(chunk, () => pool.give(chunk));
      // Backpressure at a few MiB, not at the socket's 16 KiB: the next chunks are made while the
      // scraper reads, instead of one round trip to it per chunk.
      if (res.writableLength > BUFFERED_BYTES) await drained(res);
      await yieldToLoop();
    }
    if (aborted || res.destroyed) {
      deviceScrapeStats.scrapes_aborted++;
      return;
    }
    res.end();
    deviceScrapeStats.scrapes++;
    if (gzip) deviceScrapeStats.scrapes_gzip++;
  } catch (err) {
    deviceScrapeStats.scrapes_failed++;
    deps.log.error({ err }, 'device metrics scrape failed');
    // Headers (and part of the body) are out: the only honest signal left is a cut connection.
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

/** Resolves when the response can take more (`drain`) or is gone (`close`); leaves no listener behind. */
function drained(res: Response): Promise<void> {
  return new Promise((done) => {
    const finish = () => {
      res.off('drain', finish);
      res.off('close', finish);
      done();
    };
    res.on('drain', finish);
    res.on('close', finish);
  });
}
