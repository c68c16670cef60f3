import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyslogListener, type SyslogListener } from '../../../../server/collectors/syslog/syslog.listener.js';
import { collectingSink, quietLogger, run, until } from '../collector-helpers.js';

describe('syslog UDP drained by a receive thread', () => {
  const got = collectingSink();
  let l: SyslogListener;
  let port = 0;

  beforeAll(async () => {
    l = createSyslogListener({ udpPort: 0, tcpPort: null, host: '127.0.0.1', host6: null, receiveThread: true, logger: quietLogger() }, got.sink);
    const st = await l.start();
    const udp = st.find((s) => s.protocol === 'udp' && s.address === '127.0.0.1')!;
    expect(udp.state).toBe('listening');
    port = udp.boundPort!;
  });
  afterAll(async () => {
    await l?.stop();
  });

  it('receives logger messages with the sender address and the time the thread read them', async () => {
    const t0 = Date.now();
    const r = await run('logger', ['-n', '127.0.0.1', '-P', String(port), '--udp', '--rfc5424', '-t', 'thr', 'via thread']);
    expect(r.code).toBe(0);
    const e = await got.waitFor((x) => x.message === 'via thread', 'message via receive thread');
    expect(e.sourceAddress).toBe('127.0.0.1');
    expect(e.params.appName).toBe('thr');
    expect(e.receivedAt).toBeGreaterThanOrEqual(t0 - 1000);
  });

  it('keeps order and loses nothing in a burst of 5,000 datagrams', async () => {
    const before = got.events.length;
    const s = dgram.createSocket('udp4');
    for (let i = 0; i < 5000; i++) s.send(Buffer.from(`<13>1 - - burst - - - n=${i}`), port, '127.0.0.1');
    await until(() => got.events.length - before >= 5000, 'all 5,000 burst messages', 20_000);
    s.close();
    const seq = got.events.slice(before).map((e) => Number(e.message.slice(2)));
    expect(seq).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('runs the receive thread at the configured priority when allowed, and says so', async () => {
    const niceOf = () =>
      readdirSync('/proc/self/task').map((t) => {
        const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
        return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const before = niceOf().filter((n) => n === -7).length;
    const p = createSyslogListener({ udpPort: 0, tcpPort: null, host: '127.0.0.1', host6: null, receiveThread: true, receivePriority: -7, logger: quietLogger() }, () => {});
    const st = (await p.start()).find((x) => x.protocol === 'udp')!;
    try {
      if (process.getuid?.() === 0) {
        expect(st.message).toContain('priority -7');
        expect(niceOf().filter((n) => n === -7).length).toBe(before + 1);
      } else {
        // Without CAP_SYS_NICE the thread runs at normal priority and the status says why.
        expect(st.message).toMatch(/priority -7 refused \(E\w+: needs root or CAP_SYS_NICE\)/);
      }
      expect(st.state).toBe('listening');
    } finally {
      await p.stop();
    }
  });
});
