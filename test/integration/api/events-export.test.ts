import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../server/contracts/events.js';
import { fillAudit } from '../../helpers/audit-fill.js';
import { fillEvents, syslogEvent } from '../../helpers/events-fill.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

const run = promisify(execFile);

const ROWS = 1_000_000;
const T0 = Date.now() - 3_600_000;
/** The newest events carry this word (a search that finds them at once, then reads every older event for more). */
const MARKED = 1500;
/** Messages a CSV writer must get right; the oldest events, all from device 1. */
const TRICKY = [
  'Interface Gi0/1, changed state to down',
  'He said "hello", then left',
  'first line\nsecond line\r\nthird line',
  '=HYPERLINK("http://evil.example/?x=1","click me")',
  '+1 555 0100 called',
  '-2+3',
  '@SUM(A1:A9)',
  '\tstarts with a tab',
  'unicode: Grüße — 東京 ✓',
  '',
  'ends with a space ',
];

function make(i: number): NormalizedEvent {
  const e = syslogEvent(i, T0);
  if (i < TRICKY.length) {
    e.deviceId = 1;
    e.message = TRICKY[i]!;
    e.source = i % 2 ? 'trap' : 'syslog';
    e.params = i === 0 ? JSON.parse('{"sd":{"__proto__":{"a":"1"}},"note":"x,\\"y\\""}') : { i };
  }
  if (i >= ROWS - MARKED) e.message += ' export-marker';
  return e;
}

let srv: TestServer;
let dataDir: string;
let token: string;
let call: ReturnType<typeof apiClient>;

async function start(env: Record<string, string> = {}): Promise<void> {
  srv = await startTestServer({ dataDir, env });
  token = (await login(srv.url, 'admin', srv.adminPassword)).token;
  call = apiClient(srv.url, token);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'nw-export-'));
  fillEvents(join(dataDir, 'netwatch.db'), ROWS, make);
  // Answers are compared here, not timed: a generous read budget keeps a loaded machine from failing them.
  await start({ NMS_QUERY_TIMEOUT_MS: '30000' });
  const d = await call('POST', '/devices', { name: 'core-sw1', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600 });
  expect(d.status).toBe(201);
  expect(d.body.id).toBe(1);
}, 180_000);

afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const exportUrl = (query: string) => `${srv.url}/api/v1/events/export?${query}`;
const auth = () => ({ authorization: `Bearer ${token}` });
const counters = async () => (await call('GET', '/status')).body.counters as Record<string, number>;

/** Parses CSV with Python's csv module: an independent RFC 4180 reader. */
async function parseCsv(text: string): Promise<string[][]> {
  const script = 'import csv, io, json, sys\nprint(json.dumps(list(csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")))))';
  const child = execFile('python3', ['-c', script], { maxBuffer: 1 << 26 });
  child.stdin!.end(text);
  let out = '';
  child.stdout!.on('data', (d: string) => (out += d));
  await new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(null) : reject(new Error(`python exited ${code}`)))));
  return JSON.parse(out) as string[][];
}

/** What a spreadsheet-safe cell holds for a text: a leading `'` before a formula character. */
const safe = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

describe('GET /api/v1/events/export', () => {
  it('downloads CSV that a CSV reader parses back to the events, with quoting and formula protection', async () => {
    const res = await fetch(exportUrl('device=1&format=csv'), { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="netwatch-events-\d{8}T\d{6}Z\.csv"$/);
    const rows = await parseCsv(await res.text());
    const listed = (await call('GET', '/events?device=1&limit=100')).body.items as StoredEvent[];
    expect(listed).toHaveLength(TRICKY.length);
    expect(rows[0]).toEqual(['id', 'receivedAt', 'reportedAt', 'source', 'sourceAddress', 'deviceId', 'device', 'severity', 'type', 'message', 'params']);
    expect(rows.slice(1)).toEqual(
      listed.map((e) => [
        String(e.id),
        new Date(e.receivedAt).toISOString(),
        '',
        e.source,
        e.sourceAddress,
        '1',
        'core-sw1',
        e.severity,
        e.type,
        safe(e.message),
        JSON.stringify(e.params),
      ]),
    );
    expect(rows.find((r) => r[0] === String(listed.at(-1)!.id))![10]).toBe('{"sd":{"__proto__":{"a":"1"}},"note":"x,\\"y\\""}');
  });

  it('downloads JSON lines with the same fields and values as GET /events, for the same filters and cursor', async () => {
    const filters = `source=syslog&severity=warning&from=${T0 + 100}&to=${T0 + 104}`;
    // A page may stop on the scan bound (`partial`): follow nextCursor as a client does.
    const listed = { items: [] as StoredEvent[] };
    for (let cursor = ''; ; ) {
      const page = (await call('GET', `/events?${filters}&limit=1000${cursor}`)).body;
      listed.items.push(...page.items);
      if (page.nextCursor === null) break;
      cursor = `&cursor=${page.nextCursor}`;
    }
    expect(listed.items.length).toBe(500);
    const res = await fetch(exportUrl(`${filters}&format=jsonl`), { headers: auth() });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await res.text()).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(listed.items);

    const tricky = (await call('GET', '/events?device=1&limit=100')).body.items as StoredEvent[];
    const below = tricky[2]!.id;
    const paged = await (await fetch(exportUrl(`device=1&cursor=${below}&format=jsonl`), { headers: auth() })).text();
    expect(paged.trim().split('\n').map((l) => JSON.parse(l))).toEqual(tricky.filter((e) => e.id < below));
  });

  it('refuses an unknown format or parameter with a 400, and anonymous callers with a 401', async () => {
    expect((await call('GET', '/events/export?format=xml')).status).toBe(400);
    expect((await call('GET', '/events/export?limit=5')).status).toBe(400);
    expect((await fetch(exportUrl('format=csv'))).status).toBe(401);
  });

  it(`streams all ${ROWS.toLocaleString('en')} events as CSV to curl with flat memory (RSS growth < 50 MB)`, async () => {
    // Warm up: caches and readers as a download leaves them.
    await run('sh', ['-c', `curl -sS -f -H 'authorization: Bearer ${token}' '${exportUrl('cursor=100001')}' > /dev/null`]);
    const before = await counters();
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
    const t0 = performance.now();
    const { stdout } = await run('bash', ['-o', 'pipefail', '-c', `curl -sS -f -H 'authorization: Bearer ${token}' '${exportUrl('format=csv')}' | wc -lc`]);
    const ms = performance.now() - t0;
    clearInterval(sample);
    const [lines, bytes] = stdout.trim().split(/\s+/).map(Number);
    const innerNewlines = TRICKY.join('').split('\n').length - 1;
    expect(lines).toBe(1 + ROWS + innerNewlines);
    const after = await counters();
    expect(after['export.completed']! - before['export.completed']!).toBe(1);
    expect(after['export.rows']! - before['export.rows']!).toBe(ROWS);
    const growthMb = (peak - rss0) / 2 ** 20;
    console.log(`export: ${ROWS} rows, ${(bytes! / 2 ** 20).toFixed(0)} MiB in ${(ms / 1000).toFixed(1)} s (${Math.round(ROWS / (ms / 1000))} rows/s); RSS ${(rss0 / 2 ** 20).toFixed(0)} MiB, growth ${growthMb.toFixed(1)} MiB`);
    expect(growthMb).toBeLessThan(50);
  }, 180_000);

  it('pauses while the client reads nothing, then finishes when it reads again', async () => {
    const TOTAL = 200_000; // the oldest: ids below 200,001
    const before = await counters();
    const sent = async () => (await counters())['export.rows']! - before['export.rows']!;
    await new Promise<void>((resolve, reject) => {
      const req = get(exportUrl(`cursor=${TOTAL + 1}&format=jsonl`), { headers: auth() }, (res) => {
        let lines = 0;
        res.on('data', (chunk: Buffer) => {
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.once('data', () => {
          res.pause();
          void (async () => {
            // Socket buffers fill, then the server stops asking the reader for pages.
            let a = await sent();
            for (let b = -1; b !== a; ) {
              await new Promise((r) => setTimeout(r, 400));
              b = a;
              a = await sent();
            }
            expect(a).toBeLessThan(TOTAL / 2);
            expect((await counters())['export.active']).toBe(1);
            res.resume();
          })().catch(reject);
        });
        res.on('end', () => {
          try {
            expect(lines).toBe(TOTAL);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    expect(await sent()).toBe(TOTAL);
  }, 120_000);

  it('stops reading when the client goes away', async () => {
    const before = await counters();
    const ac = new AbortController();
    const res = await fetch(exportUrl('format=csv'), { headers: auth(), signal: ac.signal });
    const reader = res.body!.getReader();
    for (let i = 0; i < 3; i++) await reader.read();
    ac.abort();
    for (let t = Date.now(); (await counters())['export.active'] !== 0 && Date.now() - t < 10_000; ) await new Promise((r) => setTimeout(r, 20));
    const after = await counters();
    expect(after['export.active']).toBe(0);
    expect(after['export.aborted']! - before['export.aborted']!).toBe(1);
    expect(after['export.completed']! - before['export.completed']!).toBe(0);
    expect(after['export.rows']! - before['export.rows']!).toBeLessThan(ROWS / 4);
    // No page is asked for any more: the readers fall idle (a page already asked for ends and is dropped).
    for (let t = Date.now(); (await counters())['readers.busy'] !== 0 && Date.now() - t < 5000; ) await new Promise((r) => setTimeout(r, 20));
    expect((await counters())['readers.busy']).toBe(0);
    expect((await counters())['export.rows']).toBe(after['export.rows']);
  });

  it('answers 503 query_timeout when a page waits past its budget: before the first byte, and by cutting a download under way', async () => {
    await srv.nms.stop(); // keeps the data
    // Audit entries that a filter no index answers reads in full (~0.2 s): they keep the only reader busy.
    fillAudit(join(dataDir, 'netwatch.db'), 1_500_000);
    await start({ NMS_QUERY_TIMEOUT_MS: '100', NMS_READER_THREADS: '1' });
    const SLOW = '/audit?action=no-such-object&limit=10';
    const settled = async () => {
      // A reader stopped for its budget is replaced; the test goes on once the pool is whole again.
      for (let t = Date.now(); Date.now() - t < 30_000; await new Promise((r) => setTimeout(r, 20))) {
        const c = await counters();
        if (c['readers.ready'] === 1 && c['readers.stopping'] === 0) return;
      }
    };
    await settled();
    // The only reader is taken by a slow read; the export's first page waits behind it past its budget.
    const blocker = call('GET', SLOW);
    await new Promise((r) => setTimeout(r, 20));
    const refused = await call('GET', '/events/export?format=csv');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('query_timeout');
    expect((await blocker).status).toBe(503);
    await settled();

    // A download under way: once it has begun, slow reads take the reader again and again, so a later page
    // waits past its budget. The download is cut (not ended as if complete).
    // Its first page has only 100 ms too: on a loaded machine it may itself run over; then ask again.
    let res = await fetch(exportUrl('format=jsonl'), { headers: auth() });
    for (let i = 0; i < 10 && res.status === 503; i++) {
      await settled();
      res = await fetch(exportUrl('format=jsonl'), { headers: auth() });
    }
    expect(res.status).toBe(200);
    const body = res.body!.getReader();
    expect((await body.read()).done).toBe(false);
    let stop = false;
    const blockers = (async () => {
      while (!stop) await call('GET', SLOW);
    })();
    let got = 'complete';
    try {
      for (;;) if ((await body.read()).done) break;
    } catch {
      got = 'cut';
    }
    stop = true;
    await blockers;
    expect(got).toBe('cut');
    const c = await counters();
    expect(c['export.failed']).toBe(1);
    expect(c['export.completed']).toBe(0);
  }, 120_000);
});
