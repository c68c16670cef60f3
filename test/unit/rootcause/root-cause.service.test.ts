import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { DeviceStatusDto } from '../../../server/contracts/poll-state.js';
import type { NotificationKind } from '../../../server/events/engine/alarm-service.js';
import { createLogger } from '../../../server/log/logger.js';
import type { DerivedRow } from '../../../server/rootcause/derive.js';
import { RootCauseService } from '../../../server/rootcause/root-cause.service.js';

const st = (deviceId: number, icmp: 'up' | 'down' | 'unknown', lossPct: number | null = icmp === 'down' ? 100 : 0): DeviceStatusDto => ({
  deviceId, icmpState: icmp, snmpState: 'unknown', lastPollAt: null, lastPollMs: null, lastError: null, lastErrorKind: null,
  rtt: { min: null, avg: null, max: null, jitter: null, lossPct, at: Date.now() },
  system: { sysName: null, sysDescr: null, sysObjectID: null, vendor: null, sysUpTimeCs: null, sysContact: null, sysLocation: null },
  updatedAt: Date.now(),
});
const row = (id: number, parentId: number | null, viaKeys: string[] = []): DerivedRow => ({ id, parentId, derivedFrom: parentId === null ? 'root' : 'topology', viaPort: viaKeys[0] ?? null, viaKeys, topologyParentId: parentId });

/** The alarm side as the service sees it: open alarms by key, what it wrote, what it released. */
class Alarms {
  gate: ((k: NotificationKind, a: AlarmDto, send: () => void) => boolean) | null = null;
  open = new Map<string, number>();
  rows = new Map<number, { deviceId: number | null; reductionKey: string }>();
  suppressed = new Map<number, number | null>();
  impacts = new Map<number, number>();
  released: number[] = [];
  next = 100;
  setGate(g: Alarms['gate']) {
    this.gate = g;
  }
  openAlarmId(key: string) {
    return this.open.get(key);
  }
  applyRootCause(s: { id: number; suppressed: boolean; rootAlarmId: number | null }[], i: { id: number; count: number }[]) {
    for (const x of s) this.suppressed.set(x.id, x.rootAlarmId);
    for (const x of i) this.impacts.set(x.id, x.count);
    return new Set<number>();
  }
  release(id: number) {
    this.released.push(id);
    this.suppressed.delete(id);
  }
  raise(deviceId: number, kind = 'nodeDown'): AlarmDto {
    const id = this.next++;
    const key = `${kind}:${deviceId}`;
    this.open.set(key, id);
    this.rows.set(id, { deviceId, reductionKey: key });
    return { id, reductionKey: key, deviceId, state: 'active' } as AlarmDto;
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('root-cause decisions', () => {
  let alarms: Alarms;
  let status: Map<number, DeviceStatusDto>;
  let probes: number[];
  let probeAnswer: (id: number) => DeviceStatusDto | undefined;
  let repolled: number[][];
  let rc: RootCauseService;
  let rows: DerivedRow[];
  let deriveGate: Promise<void>;

  const make = async (holdMs = 5000) => {
    rc = new RootCauseService({
      alarms,
      suppressedUnder: (id) => [...alarms.suppressed].filter(([, r]) => r === id).map(([a]) => a),
      alarm: (id) => alarms.rows.get(id),
      device: (id) => ({ id, name: `dev${id}`, address: `10.0.0.${id}` }),
      status: (id) => status.get(id),
      allStatus: () => status,
      publishStatus: () => {},
      derive: async () => {
        // What derive reads, it reads when it starts (pins, links); the answer may come later.
        const read = rows;
        await deriveGate;
        return { rows: read, chosenRoots: [], links: 0 };
      },
      probe: async (id) => {
        probes.push(id);
        return probeAnswer(id);
      },
      repoll: async (ids) => {
        repolled.push(ids);
      },
      log: createLogger({ level: 'silent', format: 'json' }),
      holdMs,
    });
    rc.start();
    await rc.recompute();
  };
  /** A poll result arrives for a device (what the bus delivers as `device.status`). */
  const poll = (s: DeviceStatusDto) => {
    status.set(s.deviceId, s);
    rc.onStatus(s);
  };
  /** An alarm is raised and its notification offered: true when it went out at once. */
  const notify = (a: AlarmDto, sent: AlarmDto[]) => {
    const taken = alarms.gate!('raise', a, () => sent.push(a));
    if (!taken) sent.push(a);
  };

  beforeEach(() => {
    deriveGate = Promise.resolve();
    alarms = new Alarms();
    // 1 root -> 2 distribution -> 3..12 access
    rows = [row(1, null), row(2, 1, ['ge2', '2']), ...Array.from({ length: 10 }, (_, i) => row(3 + i, 2, [`p${i}`]))];
    status = new Map(rows.map((r) => [r.id, st(r.id, 'up')]));
    probes = [];
    repolled = [];
    probeAnswer = (id) => status.get(id);
  });
  afterEach(() => {
    rc?.stop();
    vi.useRealTimers();
  });

  it('answers a recompute asked while another is under way only once one that read the change is applied', async () => {
    await make();
    let open!: () => void;
    deriveGate = new Promise<void>((r) => (open = r));
    const first = rc.recompute(); // reads the pins as they were
    // An operator pins device 5 under the root, and the route asks for a recompute.
    rows = rows.map((r) => (r.id === 5 ? row(5, 1) : r));
    deriveGate = Promise.resolve();
    const second = rc.recompute();
    open();
    await first;
    await second;
    expect(rc.parentOf(5)).toBe(1);
  });

  it('suppresses children that fail after their parent under the parent\'s alarm, counts them on it and notifies only the parent', async () => {
    await make();
    const sent: AlarmDto[] = [];
    poll(st(2, 'down'));
    const cause = alarms.raise(2);
    notify(cause, sent);
    // The distribution switch's parent is probed at once and answers: its alarm goes out.
    await tick();
    expect(probes).toEqual([1]);
    expect(sent.map((a) => a.id)).toEqual([cause.id]);
    rc.onAlarm(cause);
    for (let d = 3; d <= 12; d++) {
      poll(st(d, 'down'));
      notify(alarms.raise(d), sent);
    }
    await tick();
    expect(sent).toHaveLength(1);
    for (let d = 3; d <= 12; d++) {
      expect(rc.reachability(d)).toBe('unreachable');
      expect(alarms.suppressed.get(alarms.open.get(`nodeDown:${d}`)!)).toBe(cause.id);
    }
    expect(alarms.impacts.get(cause.id)).toBe(10);
    expect(rc.impact(cause.id)!.count).toBe(10);
    expect(rc.reachability(2)).toBe('down');
  });

  it('holds a child that fails before its parent is seen down, and suppresses it when the probed parent does not answer', async () => {
    await make();
    const sent: AlarmDto[] = [];
    // The parent's probe now fails (before its own hysteresis calls it down).
    probeAnswer = (id) => (id === 2 ? st(2, 'up', 100) : status.get(id));
    poll(st(5, 'down'));
    const child = alarms.raise(5);
    notify(child, sent);
    await tick();
    expect(probes).toEqual([2]);
    expect(sent).toHaveLength(0);
    expect(alarms.suppressed.has(child.id)).toBe(true);
    expect(alarms.suppressed.get(child.id)).toBeNull();
    // The parent is declared down and its alarm raised: the child's alarm points at it.
    poll(st(2, 'down'));
    const cause = alarms.raise(2);
    rc.onAlarm(cause);
    await tick();
    expect(rc.reachability(5)).toBe('unreachable');
    expect(alarms.suppressed.get(child.id)).toBe(cause.id);
    expect(alarms.impacts.get(cause.id)).toBe(1);
  });

  it('notifies a held child when its parent answers the probe: it is down on its own', async () => {
    await make();
    const sent: AlarmDto[] = [];
    poll(st(7, 'down'));
    const child = alarms.raise(7);
    notify(child, sent);
    expect(sent).toHaveLength(0);
    await tick();
    expect(sent.map((a) => a.id)).toEqual([child.id]);
    expect(alarms.suppressed.has(child.id)).toBe(false);
    expect(rc.reachability(7)).toBe('down');
  });

  it('lets a held notification go when the hold ends before the parent\'s state is known', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await make(5000);
    const sent: AlarmDto[] = [];
    let answer: ((s: DeviceStatusDto | undefined) => void) | undefined;
    (rc as unknown as { deps: { probe: (id: number) => Promise<DeviceStatusDto | undefined> } }).deps.probe = (id) => {
      probes.push(id);
      return new Promise((r) => (answer = r));
    };
    poll(st(9, 'down'));
    const child = alarms.raise(9);
    notify(child, sent);
    vi.advanceTimersByTime(4999);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent.map((a) => a.id)).toEqual([child.id]);
    // A late answer changes nothing.
    answer!(st(2, 'up', 100));
    await Promise.resolve();
    expect(sent).toHaveLength(1);
  });

  it('re-polls the devices behind a cause at once when it answers again, and releases one still down', async () => {
    await make();
    const sent: AlarmDto[] = [];
    poll(st(2, 'down'));
    const cause = alarms.raise(2);
    rc.onAlarm(cause);
    const children: AlarmDto[] = [];
    for (let d = 3; d <= 12; d++) {
      poll(st(d, 'down'));
      const a = alarms.raise(d);
      children.push(a);
      notify(a, sent);
    }
    await tick();
    expect(sent).toHaveLength(0);
    poll(st(2, 'up'));
    expect(repolled).toEqual([[3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]);
    // The re-poll: all but device 12 answer.
    for (let d = 3; d <= 11; d++) poll(st(d, 'up'));
    await tick();
    expect(rc.reachability(12)).toBe('down');
    expect(alarms.released).toEqual([children.at(-1)!.id]);
    expect(alarms.impacts.get(cause.id)).toBe(0);
  });

  it('makes the devices behind a parent\'s port with a linkDown alarm unreachable under that alarm', async () => {
    await make();
    const link = { id: 50, reductionKey: 'linkDown:2:p4', deviceId: 2, state: 'active' } as AlarmDto;
    alarms.rows.set(50, { deviceId: 2, reductionKey: link.reductionKey });
    rc.onAlarm(link);
    poll(st(7, 'down'));
    const a = alarms.raise(7);
    const sent: AlarmDto[] = [];
    notify(a, sent);
    await tick();
    expect(sent).toHaveLength(0);
    expect(rc.reachability(7)).toBe('unreachable');
    expect(rc.causeOf(7)).toBe(2);
    expect(alarms.suppressed.get(a.id)).toBe(50);
    expect(rc.impact(50)!.devices.map((d) => d.id)).toEqual([7]);
    expect(alarms.impacts.get(50)).toBe(1);
    // linkUp: the port is no cause any more; the device is down on its own until polled.
    rc.onAlarm({ ...link, state: 'cleared' });
    expect(rc.reachability(7)).toBe('down');
    await tick();
    expect(alarms.impacts.get(50)).toBe(0);
  });

  it('changes the state of one device in a graph of 5,000 without judging the others', async () => {
    rows = [row(1, null), row(2, 1), ...Array.from({ length: 5000 }, (_, i) => row(10 + i, 2))];
    status = new Map(rows.map((r) => [r.id, st(r.id, 'up')]));
    await make();
    const spy = vi.spyOn(rc as unknown as { evaluate: (id: number) => boolean }, 'evaluate');
    poll(st(77, 'down'));
    expect(spy).toHaveBeenCalledTimes(1);
    poll(st(2, 'down'));
    // The parent and only its children that do not answer (none but 77).
    expect(spy).toHaveBeenCalledTimes(3);
  });
});
