import { execFile } from 'node:child_process';
import { createServer, get, type Server } from 'node:http';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceScrapeStats, serveDeviceMetrics } from '../../../server/api/device-metrics.routes.js';
import type { PollResult } from '../../../server/contracts/poll.js';
import { createLogger } from '../../../server/log/logger.js';
import { DeviceMetricsCache } from '../../../server/metrics/device-metrics-cache.js';
import { snmpMetricsOf } from '../../../server/poller/snmp-metrics.js';

// The streaming route over a real loopback socket, with a cache big enough to need many chunks (~35 MB).
const DEVICES = 200;
let server: Server;
let url: string;

beforeAll(async () => {
  const cache = new DeviceMetricsCache({ labelsOf: (id) => (id <= DEVICES ? { name: `sw-${id}`, address: `10.0.0.${id}`, site: '', group: null } : undefined), ownSite: 'hq' });
  for (let d = 1; d <= DEVICES; d++) {
    const r: PollResult = {
      address: `10.0.0.${d}`, startedAt: 1, durationMs: 1, ok: true, error: null, system: null, host: null, ucd: null, neighbours: null, custom: null, errors: {}, requests: 1,
      interfaces: Array.from({ length: 48 }, (_, i) => ({
        ifIndex: i + 1, name: `Gi1/0/${i + 1}`, descr: `GigabitEthernet1/0/${i + 1}`, alias: `link ${i}`, type: 6, mtu: 1500, speedBps: 1e9, mac: null, adminStatus: 1, operStatus: 1,
        lastChangeCs: 1, discontinuityCs: null, hc: true, counters: { inOctets: { value: BigInt(d * 1000 + i), bits: 64 as const }, outOctets: { value: 2n ** 63n, bits: 64 as const } },
      })),
    };
    cache.snmp(d, { snmpState: 'up', at: 1, durationMs: 1, error: null, errorKind: null }, snmpMetricsOf(r));
  }
  const app = express();
  const log = createLogger({ level: 'silent', format: 'json' });
  app.get('/metrics/devices', (req, res) => serveDeviceMetrics(req, res, { cache, log }));
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics/devices`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('streaming GET /metrics/devices', () => {
  it('stops making the exposition when the scraper goes away mid-body, and serves the next scrape in full', async () => {
    const aborted = deviceScrapeStats.scrapes_aborted;
    await new Promise<void>((resolve, reject) => {
      const req = get(url, (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          // Gone after the first megabyte of many.
          if (got > 1 << 20) req.destroy();
        });
        res.on('error', () => undefined);
        req.on('close', () => resolve());
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
    });
    for (let i = 0; i < 100 && deviceScrapeStats.scrapes_aborted === aborted; i++) await new Promise((r) => setTimeout(r, 50));
    expect(deviceScrapeStats.scrapes_aborted).toBe(aborted + 1);

    const served = deviceScrapeStats.scrapes;
    const res = await fetch(url);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length).toBeGreaterThan(4 << 20);
    expect(text.match(/^ifHCInOctets\{/gm)).toHaveLength(DEVICES * 48);
    expect(text.match(/^ifHCOutOctets\{.*\} 9223372036854775808$/gm)).toHaveLength(DEVICES * 48);
    expect(text.endsWith('\n')).toBe(true);
    expect(deviceScrapeStats.scrapes).toBe(served + 1);
    // HEAD: headers only, no exposition made.
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(deviceScrapeStats.scrapes).toBe(served + 1);
  });

  it('serves a scraper that accepts gzip the pre-compressed pieces as one gzip stream: Node zlib and curl --compressed decode it to exactly the identity body', async () => {
    const raw = (headers: Record<string, string>) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        get(url, { headers }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
          res.on('error', reject);
        }).on('error', reject);
      });
    const gz0 = deviceScrapeStats.scrapes_gzip;
    // What Prometheus sends.
    const zipped = await raw({ 'accept-encoding': 'gzip', accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1' });
    const plain = await raw({});
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(deviceScrapeStats.scrapes_gzip).toBe(gz0 + 1);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 5);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    // curl, another gzip reader in another process.
    const { stdout } = await promisify(execFile)('curl', ['-s', '--compressed', url], { encoding: 'buffer', maxBuffer: 256 << 20 });
    expect(Buffer.from(stdout).equals(plain.body)).toBe(true);
    // Refused gzip, and OpenMetrics: the plain (made at scrape time) body.
    expect((await raw({ 'accept-encoding': 'gzip;q=0, identity' })).headers['content-encoding']).toBeUndefined();
    const om = await raw({ 'accept-encoding': 'gzip' , accept: 'application/openmetrics-text' });
    expect(om.headers['content-encoding']).toBeUndefined();
    expect(om.body.toString('utf8').endsWith('# EOF\n')).toBe(true);
  });
});
