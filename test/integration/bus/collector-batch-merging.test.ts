import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STREAM_NAME } from '../../../server/bus/nats-subjects.js';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { startNatsServer, type NatsServerHandle } from '../../helpers/nats-server.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { apiClient, eventsOfType as eventsOfTypeVia, login } from '../../helpers/server.js';

/**
 * Batch merging at a collector (issue 15): a central and a collector (the build, as `npm start` runs it), a real
 * nats-server. Real `logger` sends 5,000 syslog lines to the collector a few at a time (its stdin is fed slowly, so
 * the listener hands over many small batches); the collector merges them into far fewer NATS messages (counted from
 * the stream's own sequence), and across a NATS restart in the middle every line is stored exactly once.
 */
const PASSWORD = 'admin-password-merging';
const SITE = 'branch-9';
const TOTAL = 5000;
const until = <T>(check: () => T | Promise<T>, timeout = 60_000) => vi.waitFor(check, { timeout, interval: 500 });

let nats: NatsServerHandle;
let central: ServerProcess;
let collector: ServerProcess;
let centralDir: string;
let collectorDir: string;
let syslogPort: number;
let collectorId: string;
let call: ReturnType<typeof apiClient>;

async function streamLastSeq(): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(STREAM_NAME)).state.last_seq;
  } finally {
    await nc.close();
  }
}

async function collectorCounters(): Promise<Record<string, number>> {
  const r = await call('GET', '/collectors');
  return (r.body as { id: string; counters: Record<string, number> }[]).find((x) => x.id === collectorId)?.counters ?? {};
}

const eventsOfType = (type: string): Promise<StoredEvent[]> => eventsOfTypeVia(call, type);

/**
 * One `logger` process; its stdin is fed `perWrite` lines every `pauseMs`: each line is one datagram as logger reads it.
 * `midway` runs (awaited) after half the lines.
 */
async function slowLogger(tag: string, count: number, midway: () => Promise<void>, perWrite = 5, pauseMs = 4): Promise<void> {
  const child = spawn('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', '--rfc3164', '-p', 'local7.notice', '-t', tag], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; i < count; i += perWrite) {
    if (i === count / 2) await midway();
    const lines: string[] = [];
    for (let k = i; k < Math.min(count, i + perWrite); k++) lines.push(`${tag} line ${String(k).padStart(5, '0')}`);
    if (!child.stdin!.write(lines.join('\n') + '\n')) await new Promise((r) => child.stdin!.once('drain', r));
    await sleep(pauseMs);
  }
  child.stdin!.end();
  expect(await exited, err).toBe(0);
}

beforeAll(async () => {
  nats = await startNatsServer();
  centralDir = mkdtempSync(join(tmpdir(), 'nw-central-merge-'));
  collectorDir = mkdtempSync(join(tmpdir(), 'nw-collector-merge-'));
  central = await startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: PASSWORD }, 60_000, 'dist');
  collector = await startServerProcess(collectorDir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: SITE }, 60_000, 'dist');
  syslogPort = ((await (await fetch(`${collector.url}/api/v1/health`)).json()) as { ports: { syslog: number } }).ports.syslog;
  call = apiClient(central.url, (await login(central.url, 'admin', PASSWORD)).token);
  collectorId = readFileSync(join(collectorDir, 'collector-id'), 'utf8').trim();
  await until(async () => expect((await collectorCounters())['transport.submits']).toBeDefined(), 30_000);
}, 120_000);

afterAll(async () => {
  await collector?.kill();
  await central?.kill();
  await nats?.stop();
  for (const d of [centralDir, collectorDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('batch merging at a collector', () => {
  it('stores 5,000 slowly sent syslog lines once each, in far fewer NATS messages than datagrams, across a NATS restart mid-stream', async () => {
    const tag = 'merge-edge';
    const seqBefore = await streamLastSeq();
    const countersBefore = await collectorCounters();
    await slowLogger(tag, TOTAL, async () => {
      await nats.stop({ keepStore: true });
      // The rest is sent while NATS is away (the collector spools merged batches), then NATS comes back on the same store.
      setTimeout(() => {
        void startNatsServer({ port: nats.port, storeDir: nats.storeDir }).then((n) => (nats = n));
      }, 3000);
    });
    const events = await until(async () => {
      const got = await eventsOfType(tag);
      expect(got.length).toBeGreaterThanOrEqual(TOTAL);
      return got;
    }, 180_000);
    expect(events).toHaveLength(TOTAL);
    expect(new Set(events.map((e) => e.message)).size).toBe(TOTAL);
    // Every line, in order of arrival: the store's ids follow the lines' numbers.
    const byId = [...events].sort((a, b) => a.id - b.id).map((e) => Number(/line (\d+)/.exec(e.message)![1]));
    expect(byId).toEqual(Array.from({ length: TOTAL }, (_, i) => i));

    // NATS messages: the stream's sequence moved by the batches stored (a republished one is not stored again).
    const messages = (await streamLastSeq()) - seqBefore;
    const after = await until(async () => {
      const c = await collectorCounters();
      expect(c['transport.submitted']! - (countersBefore['transport.submitted'] ?? 0)).toBe(TOTAL);
      return c;
    }, 30_000);
    const submits = after['transport.submits']! - (countersBefore['transport.submits'] ?? 0);
    const batches = after['transport.batches']! - (countersBefore['transport.batches'] ?? 0);
    expect(messages).toBeGreaterThan(0);
    expect(messages).toBeLessThanOrEqual(batches);
    expect(messages * 10).toBeLessThan(TOTAL);
    // The listener handed over many small batches; merging made few of them.
    expect(submits).toBeGreaterThan(batches * 3);
    // The restart really happened mid-stream: some merged batches went through the spool.
    expect(after['spool.spooled']! - (countersBefore['spool.spooled'] ?? 0)).toBeGreaterThan(0);
    console.log(JSON.stringify({ datagrams: TOTAL, submits, batches, natsMessages: messages }));
  }, 300_000);
});
