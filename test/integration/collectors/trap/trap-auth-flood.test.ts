import dgram from 'node:dgram';
import * as snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrapReceiver, type TrapReceiver } from '../../../../server/collectors/trap/trap.receiver.js';
import { collectingSink, quietLogger, until } from '../collector-helpers.js';

/** v2c trap datagrams encoded by net-snmp's own session code (nothing is sent by it). */
function encodeTraps(community: string, trapOid: string, n: number): Buffer[] {
  const out: Buffer[] = [];
  const fake = {
    on() {}, bind() {}, unref() {}, close() {}, address: () => ({ port: 0 }),
    send(buf: Buffer, off: number, len: number, _p: number, _a: string, cb?: (e: null, n: number) => void) {
      out.push(Buffer.from(buf.subarray(off, off + len)));
      cb?.(null, len);
    },
  };
  const s = snmp.createSession('127.0.0.1', community, { version: snmp.Version2c, dgramModule: { createSocket: () => fake } }) as unknown as {
    trap(oid: string, vbs: snmp.Varbind[], cb: () => void): void;
  };
  for (let i = 0; i < n; i++) s.trap(trapOid, [{ oid: '1.3.6.1.2.1.2.2.1.1.1', type: snmp.ObjectType.Integer, value: i }], () => undefined);
  return out;
}

describe('trap receiver under a community scanner', () => {
  const got = collectingSink();
  let rx: TrapReceiver;
  let port = 0;
  const sock = dgram.createSocket('udp4');
  const send = (b: Buffer) => new Promise<void>((res, rej) => sock.send(b, port, '127.0.0.1', (e) => (e ? rej(e) : res())));

  beforeAll(async () => {
    rx = createTrapReceiver({ port: 0, host: '127.0.0.1', host6: null, communities: ['s3cret'], logger: quietLogger(), authFailureEventIntervalMs: 600_000 }, got.intake);
    port = (await rx.start())[0]!.boundPort!;
  });
  afterAll(async () => {
    sock.close();
    await rx?.stop();
  });

  it('counts every wrong community but emits one auth-failure event per source per interval, and keeps receiving', async () => {
    const guesses = ['public', 'private', 'cisco', 'admin', 'snmp', 'manager', 'monitor', 'write', 'read', 'test'];
    for (const g of guesses) for (const b of encodeTraps(g, '1.3.6.1.4.1.99.0.66', 3)) await send(b);
    await until(() => rx.counters().auth_failures === 30, 'all 30 wrong-community traps counted');
    const fails = got.events.filter((e) => e.type === 'snmp.authenticationFailure');
    expect(fails).toHaveLength(1);
    expect(fails[0]).toMatchObject({ source: 'trap', severity: 'warning', sourceAddress: '127.0.0.1', params: { reason: 'unknown community' } });
    expect(rx.counters().auth_failure_events_suppressed).toBe(29);
    expect(got.events.some((e) => e.type === '1.3.6.1.4.1.99.0.66')).toBe(false);

    await send(encodeTraps('s3cret', '1.3.6.1.4.1.99.0.67', 1)[0]!);
    const ok = await got.waitFor((e) => e.type === '1.3.6.1.4.1.99.0.67', 'the good trap after the scan');
    expect(ok.params).toMatchObject({ version: '2c' });
    expect(JSON.stringify(ok)).not.toContain('s3cret'); // accepted, and not stored
    expect(rx.counters()).toMatchObject({ traps: 1, parse_errors: 0 });
  });

  it('counts garbage and truncated datagrams as parse errors and still takes the next good trap', async () => {
    const before = rx.counters();
    const good = encodeTraps('s3cret', '1.3.6.1.4.1.99.0.68', 1)[0]!;
    await send(Buffer.from('\x00\xffnot an SNMP message'));
    await send(good.subarray(0, Math.floor(good.length / 2)));
    await send(good.subarray(0, good.length - 1));
    await until(() => rx.counters().parse_errors - before.parse_errors === 3, 'three parse errors');
    await send(good);
    await got.waitFor((e) => e.type === '1.3.6.1.4.1.99.0.68', 'trap after garbage');
    expect(rx.counters().received - before.received).toBe(4);
  });
});
