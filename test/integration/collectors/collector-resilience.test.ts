import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyslogListener, type SyslogListener } from '../../../server/collectors/syslog/syslog.listener.js';
import { createTrapReceiver, type TrapReceiver } from '../../../server/collectors/trap/trap.receiver.js';
import { collectingSink, quietLogger, run, until } from './collector-helpers.js';

describe('collectors under bad luck: throwing callers and a full queue', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function syslogOn(extra: Partial<Parameters<typeof createSyslogListener>[0]>, sink: Parameters<typeof createSyslogListener>[1]): Promise<{ l: SyslogListener; port: number }> {
    const l = createSyslogListener({ udpPort: 0, tcpPort: null, host: '127.0.0.1', host6: null, logger: quietLogger(), ...extra }, sink);
    cleanups.push(() => l.stop());
    const st = await l.start();
    return { l, port: st.find((s) => s.name === 'syslog-udp')!.boundPort! };
  }

  it('a sink that throws loses only its batch (counted); the next messages still arrive', async () => {
    const got = collectingSink();
    let first = true;
    const { l, port } = await syslogOn({}, (evs) => {
      if (first) {
        first = false;
        throw new Error('sink down');
      }
      got.sink(evs);
    });
    await run('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '-t', 'x', 'lost one']);
    await until(() => l.counters().sink_errors === 1, 'sink error counted');
    await run('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '-t', 'x', 'kept one']);
    await got.waitFor((e) => e.message === 'kept one', 'message after sink error');
  });

  it('a resolveDevice that throws leaves deviceId null and keeps the message (syslog and trap)', async () => {
    const got = collectingSink();
    const boom = () => {
      throw new Error('db closed');
    };
    const { port } = await syslogOn({ resolveDevice: boom }, got.sink);
    await run('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '-t', 'x', 'no device']);
    expect((await got.waitFor((e) => e.message === 'no device', 'syslog message')).deviceId).toBeNull();

    const rx: TrapReceiver = createTrapReceiver({ port: 0, host: '127.0.0.1', host6: null, logger: quietLogger(), resolveDevice: boom }, got.intake);
    cleanups.push(() => rx.stop());
    const st = await rx.start();
    const r = await run('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${st[0]!.boundPort}`, '', '1.3.6.1.4.1.99.0.42']);
    expect(r.code, r.stderr).toBe(0);
    expect((await got.waitFor((e) => e.type === '1.3.6.1.4.1.99.0.42', 'trap')).deviceId).toBeNull();
  });

  it('counts what a full queue drops, and received = handed on + dropped', async () => {
    const got = collectingSink();
    const { l, port } = await syslogOn({ queueCapacity: 1, batchSize: 1 }, got.sink);
    const dir = mkdtempSync(join(tmpdir(), 'nw-flood-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'lines.txt');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => `flood ${i}`).join('\n') + '\n');
    // The event loop is blocked while logger sends, so the datagrams pile up in the kernel
    // and are read in bursts larger than the queue.
    execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '-t', 'flood', '-f', file]);
    await until(() => l.counters().received === 300, 'all 300 datagrams read');
    await until(() => l.counters().queue_depth === 0, 'queue drained');
    const k = l.counters();
    expect(k.dropped).toBeGreaterThan(0);
    expect(k.parsed + k.parse_errors + k.dropped).toBe(300);
    expect(got.events.length).toBe(300 - k.dropped);
  });

  it('bounds the queue by memory: a burst of large messages is cut short where small ones of the same count fit', async () => {
    const got = collectingSink();
    // 40 KB: about 32 messages of 1,000 bytes (each also costs ~192 of bookkeeping), or 165 of 50.
    const { l, port } = await syslogOn({ queueBytes: 40_000, batchSize: 1 }, got.sink);
    const dir = mkdtempSync(join(tmpdir(), 'nw-flood-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const send = (name: string, lines: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, lines.join('\n') + '\n');
      // The event loop is blocked while logger sends: the burst waits in the kernel
      // and is read into the queue faster than it is parsed.
      execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '--rfc5424', '--size', '4096', '-t', 'flood', '-f', file]);
    };
    send('large.txt', Array.from({ length: 120 }, (_, i) => `large ${i} ${'x'.repeat(1000)}`));
    await until(() => l.counters().received === 120, 'all 120 large datagrams read');
    await until(() => l.counters().queue_depth === 0, 'queue drained');
    const afterLarge = l.counters();
    expect(afterLarge.dropped).toBeGreaterThan(0);
    expect(afterLarge.queue_high_water_bytes).toBeLessThanOrEqual(40_000);
    expect(afterLarge.queue_bytes).toBe(0);

    send('small.txt', Array.from({ length: 120 }, (_, i) => `small ${i}`));
    await until(() => l.counters().received === 240, 'all 120 small datagrams read');
    await until(() => l.counters().queue_depth === 0, 'queue drained');
    const k = l.counters();
    expect(k.dropped).toBe(afterLarge.dropped);
    expect(got.events.filter((e) => e.message.startsWith('small ')).length).toBe(120);
    expect(got.events.length).toBe(240 - k.dropped);
  });
});
