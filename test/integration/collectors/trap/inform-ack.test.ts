import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../../../server/contracts/events.js';
import type { EventIntake, OnSettled } from '../../../../server/events/event-intake.js';
import { createTrapReceiver, type TrapReceiver } from '../../../../server/collectors/trap/trap.receiver.js';
import { quietLogger, run, until } from '../collector-helpers.js';

/**
 * The trap receiver acknowledges an INFORM only when the intake says its event
 * is committed. The intake here is the test's: it records each submit and
 * settles it when the test says so, so "not before" is checked without timing.
 */
function heldIntake() {
  const calls: { events: NormalizedEvent[]; settle: OnSettled }[] = [];
  const intake: EventIntake = {
    submit(events, onSettled) {
      calls.push({ events, settle: onSettled ?? (() => {}) });
    },
  };
  return { intake, calls };
}

/** A UDP socket standing in for a sender: sends bytes, collects what comes back. */
async function udpPeer() {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { got, send: (buf: Buffer, port: number) => new Promise<void>((r) => s.send(buf, port, '127.0.0.1', () => r())), close: () => s.close() };
}

const settleTurns = () => new Promise((r) => setTimeout(r, 300));

describe('INFORM acknowledgement waits for the commit', () => {
  let persist: string;
  let inform: Buffer;
  let rx: TrapReceiver | undefined;
  const snmp = (args: string[]) => run('snmpinform', args, 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });

  beforeAll(async () => {
    persist = mkdtempSync(join(tmpdir(), 'nw-informack-'));
    // One real v2c InformRequest as snmpinform sends it, captured by a socket that never answers.
    const cap = dgram.createSocket('udp4');
    const captured: Buffer[] = [];
    cap.on('message', (m) => captured.push(m));
    await new Promise<void>((r) => cap.bind(0, '127.0.0.1', () => r()));
    await snmp(['-v', '2c', '-c', 'public', '-t', '0.2', '-r', '0', `127.0.0.1:${cap.address().port}`, '', '1.3.6.1.4.1.99.0.61', '1.3.6.1.4.1.99.61.1', 's', 'replayed']);
    cap.close();
    expect(captured.length).toBeGreaterThan(0);
    inform = captured[0]!;
  });
  afterEach(async () => {
    await rx?.stop();
    rx = undefined;
  });
  afterAll(() => rmSync(persist, { recursive: true, force: true }));

  async function receiver(intake: EventIntake, extra: { stopGraceMs?: number } = {}) {
    rx = createTrapReceiver(
      { port: 0, host: '127.0.0.1', host6: null, communities: ['public'], engineID: '8000000001aabbccee', logger: quietLogger(), ...extra,
        users: [{ name: 'ackuser', level: 'authPriv', authProtocol: 'sha', authKey: 'ackauth123', privProtocol: 'aes', privKey: 'ackpriv123' }] },
      intake,
    );
    const st = await rx.start();
    return st.find((s) => s.name === 'trap-udp')!.boundPort!;
  }

  it('sends the Response only after the intake settles committed, and answers a retransmission without a second event', async () => {
    const { intake, calls } = heldIntake();
    const port = await receiver(intake);
    const peer = await udpPeer();
    await peer.send(inform, port);
    await until(() => calls.length === 1, 'submit');
    await settleTurns();
    expect(peer.got).toHaveLength(0); // received and handed over, not committed: not acknowledged
    calls[0]!.settle('committed');
    await until(() => peer.got.length === 1, 'response after commit');
    expect(peer.got[0]![0]).toBe(0x30);

    // The sender did not get it in time and sends the same INFORM again: answered at once, no second event.
    await peer.send(inform, port);
    await until(() => peer.got.length === 2, 'response to the retransmission');
    expect(calls).toHaveLength(1);
    expect(rx!.counters()).toMatchObject({ informs: 2, inform_duplicates: 1, informs_acknowledged: 1, informs_unacknowledged: 0 });
    peer.close();
  });

  it('does not acknowledge an INFORM the store refused (queue full); its retransmission is stored as new', async () => {
    const { intake, calls } = heldIntake();
    const port = await receiver(intake);
    const peer = await udpPeer();
    await peer.send(inform, port);
    await until(() => calls.length === 1, 'submit');
    calls[0]!.settle('dropped');
    await settleTurns();
    expect(peer.got).toHaveLength(0);
    await peer.send(inform, port);
    await until(() => calls.length === 2, 'the retransmission submitted as new');
    expect(calls[1]!.events[0]!.params).toMatchObject({ pduType: 'inform' });
    calls[1]!.settle('committed');
    await until(() => peer.got.length === 1, 'response once stored');
    expect(rx!.counters()).toMatchObject({ informs_acknowledged: 1, informs_unacknowledged: 1, inform_duplicates: 0 });
    peer.close();
  });

  it('holds a v3 retransmission while the first is pending and answers both after the commit: snmpinform exits 0, one event', async () => {
    const { intake, calls } = heldIntake();
    const port = await receiver(intake);
    const sent = snmp(['-v', '3', '-u', 'ackuser', '-l', 'authPriv', '-a', 'SHA', '-A', 'ackauth123', '-x', 'AES', '-X', 'ackpriv123', '-t', '0.5', '-r', '5',
      `127.0.0.1:${port}`, '', '1.3.6.1.4.1.99.0.62', '1.3.6.1.4.1.99.62.1', 's', 'v3 held']);
    await until(() => calls.length === 1 && rx!.counters().inform_duplicates >= 1, 'the first INFORM submitted and its retransmission seen');
    calls[0]!.settle('committed');
    const r = await sent;
    expect(r.code, r.stderr).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.events[0]!.params).toMatchObject({ version: '3', user: 'ackuser', pduType: 'inform' });
  });

  it('on stop, sends the Responses of INFORMs committed meanwhile, and none for those never committed', async () => {
    const { intake, calls } = heldIntake();
    const port = await receiver(intake, { stopGraceMs: 5000 });
    const peer = await udpPeer();
    await peer.send(inform, port);
    await until(() => calls.length === 1, 'submit');
    const stopped = rx!.stop();
    calls[0]!.settle('committed'); // the writer commits while the receiver stops
    await stopped;
    await until(() => peer.got.length === 1, 'response sent during stop');
    rx = undefined;

    const again = heldIntake();
    const port2 = await receiver(again.intake, { stopGraceMs: 200 });
    await peer.send(inform, port2);
    await until(() => again.calls.length === 1, 'submit');
    await rx!.stop(); // never committed: stop gives up after the grace period without answering
    rx = undefined;
    again.calls[0]!.settle('committed'); // too late: the socket is closed, nothing is sent
    await settleTurns();
    expect(peer.got).toHaveLength(1);
    peer.close();
  });
});
