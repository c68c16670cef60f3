import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { run } from '../collectors/collector-helpers.js';
import { until } from './engine-helpers.js';

/**
 * Patterns that make a backtracking engine run for seconds (100 characters) to
 * ages (2,000): through the real API and real `logger` datagrams, the server
 * keeps answering /api/v1/health while rules run them, and the answers are right.
 */
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let syslogPort: number;
let dir: string;

/** Polls /api/v1/health back to back until stopped; reports the slowest answer. */
function healthProbe(url: string) {
  let stopped = false;
  let slowest = 0;
  let answers = 0;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
      await res.text();
      if (res.status !== 200) throw new Error(`health answered ${res.status}`);
      slowest = Math.max(slowest, performance.now() - t);
      answers++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { slowest, answers };
    },
  };
}

/** Sends each line as one RFC 5424 datagram with util-linux `logger`. */
async function logLines(tag: string, lines: string[]): Promise<void> {
  const file = join(dir, `${tag}.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc5424', '--size', '4096', '-t', tag, '-f', file]);
  if (r.code !== 0) throw new Error(`logger failed: ${r.stderr}`);
}

const syslogEvents = async (tag: string): Promise<StoredEvent[]> =>
  ((await call('GET', '/events?source=syslog&limit=1000')).body.items as StoredEvent[]).filter((e) => e.params.appName === tag);

const A = 'a'.repeat(2000);
const B = `${'a'.repeat(1999)}b`;
const X = 'x'.repeat(2000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nw-rules-linear-'));
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  syslogPort = srv.nms.listeners().find((l) => l.name === 'syslog-udp')!.boundPort!;
  // 10 runs of a, 5 runs of a ending in b, 5 runs of x: 20 long stored events for the dry runs.
  await logLines('dry', [...Array(10).fill(A), ...Array(5).fill(B), ...Array(5).fill(X)]);
  await until(async () => (await syslogEvents('dry')).length === 20 || undefined, 30_000);
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rules cannot hang the server', { timeout: 120_000 }, () => {
  it.each([
    ['a*a*a*a*a*b', 5],
    ['(a+)+$', 10],
    ['(a|aa)*b', 5],
    ['(.*a){20}', 15],
  ])('dry-runs %s over 2,000-character events with correct results while /api/v1/health answers', async (pattern, matched) => {
    const probe = healthProbe(srv.url);
    const r = await call('POST', '/rules/test', { body: { kind: 'event', match: { sources: ['syslog'], syslog: { appName: 'dry' }, message: pattern }, actions: {} }, limit: 1000 });
    const { slowest, answers } = await probe.stop();
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ evaluated: expect.any(Number), matched });
    expect(answers).toBeGreaterThan(0);
    // Generous bound for a shared 2-core machine; a backtracking engine takes seconds per event here.
    expect(slowest).toBeLessThan(1500);
  });

  it('classifies real logger messages with a saved catastrophic rule and keeps answering', async () => {
    const rule = await call('POST', '/rules', {
      name: 'redos bait',
      body: { kind: 'event', match: { sources: ['syslog'], message: 'a*a*a*a*a*b' }, actions: { severity: 'critical', title: 'ends in b' } },
    });
    expect(rule.status, rule.text).toBe(201);
    const probe = healthProbe(srv.url);
    await logLines('live', [...Array(30).fill(A), B, ...Array(9).fill(`${'a'.repeat(99)}!`)]);
    const stored = await until(async () => {
      const evs = await syslogEvents('live');
      return evs.length === 40 ? evs : undefined;
    }, 60_000);
    const { slowest } = await probe.stop();
    const hits = stored.filter((e) => e.severity === 'critical');
    expect(hits).toHaveLength(1);
    expect(hits[0]!.message).toBe(B);
    expect(hits[0]!.params.title).toBe('ends in b');
    expect(stored.filter((e) => e.message === A).every((e) => e.severity !== 'critical')).toBe(true);
    expect(slowest).toBeLessThan(1500);
  });

  it('keeps case-insensitive rules working on the same engine', async () => {
    const r = await call('POST', '/rules/test', { body: { kind: 'event', match: { sources: ['syslog'], syslog: { appName: 'dry' }, message: 'A+B$', messageCaseInsensitive: true }, actions: {} }, limit: 1000 });
    expect(r.body.matched).toBe(5);
  });

  it.each([
    [{ message: '(?<=user )root' }, /match\.message: lookahead\/lookbehind/],
    [{ message: '(a)\\1' }, /match\.message: back-references/],
    [{ varbinds: [{ oid: '1.3.6.1.2.1.1.5.0', op: 'regex', value: 'x(?!y)' }] }, /match\.varbinds\.0: lookahead\/lookbehind/],
    [{ params: [{ path: 'hostname', op: 'regex', value: '(?<h>a)\\k<h>' }] }, /match\.params\.0: back-references/],
  ])('refuses %j, which needs a backtracking engine, with a 400 naming the rule field', async (match, reason) => {
    const body = { kind: 'event', match, actions: {} };
    const saved = await call('POST', '/rules', { name: `bad ${JSON.stringify(match)}`, body });
    expect(saved.status).toBe(400);
    expect(saved.body.error.message).toMatch(reason);
    const dry = await call('POST', '/rules/test', { body });
    expect(dry.status).toBe(400);
    expect(dry.body.error.message).toMatch(reason);
  });
});
