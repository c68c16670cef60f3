import type { IcmpResult } from '../contracts/poll.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { NormalizedEvent } from '../contracts/events.js';
import { initialReach, icmpSuccess, stepReach, type ReachState } from '../collectors/icmp/reachability.js';
import type { Logger } from '../log/logger.js';
import type { DeviceRecord } from '../store/device.repository.js';
import type { SampleInput } from '../store/sample.repository.js';
import { LATENCY_METRICS, rttPercentiles } from '../collectors/icmp/latency.js';
import type { IcmpOutcome, PollDeviceSource, PollOutput } from './poll-io.js';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Devices of an ICMP cycle handed on per turn of the event loop (~130 µs each under load: ~35 ms). */
export const ICMP_SLICE = 250;

/** Pings many addresses in one batch. Never rejects. */
export interface IcmpRunner {
  readonly name: string;
  ping(addresses: string[]): Promise<Map<string, IcmpResult>>;
}

interface IcmpEntry {
  reach: ReachState;
  nextDue: number;
}

/**
 * The poll service's ICMP side: each tracked device's reachability and when it is due, the cycles
 * that ping due devices in batches, and the hand-over of a cycle's states, events and samples.
 */
export class IcmpCycle {
  private readonly icmp = new Map<number, IcmpEntry>();
  /** The ICMP cycle being handed on (handOverIcmp), if any: the next one waits for it. */
  private icmpHandOver: Promise<void> = Promise.resolve();
  private icmpRunning = false;

  constructor(
    /** The poll service's own deps (read at each call). */
    private readonly deps: { devices: PollDeviceSource; out: PollOutput; log: Logger; icmp: IcmpRunner | null },
    private readonly opts: { icmpDownAfter: number },
    /** The poll service's counters: the same object it reports. */
    private readonly stats: { icmp_cycles: number; icmp_hosts: number; icmp_write_errors: number },
    /** Queues one sample with the service's others (written by its flushSamples). */
    private readonly queueSample: (sample: SampleInput) => void,
    /** Whether the poll service was stopped. */
    private readonly stopped: () => boolean,
  ) {}

  /** Follows the device's reachability (from its stored state when new) where ICMP is on; forgets it where not. */
  track(d: DeviceRecord, state?: DeviceStatusDto): void {
    if (d.icmpEnabled) {
      if (!this.icmp.has(d.id)) {
        const reach: ReachState = { status: state?.icmpState ?? 'unknown', failures: 0 };
        this.icmp.set(d.id, { reach, nextDue: Date.now() });
      }
    } else this.icmp.delete(d.id);
  }

  forget(id: number): void {
    this.icmp.delete(id);
  }

  /** The cycle being handed on now (resolved when there is none). */
  get handOver(): Promise<void> {
    return this.icmpHandOver;
  }

  async icmpTick(): Promise<void> {
    if (this.icmpRunning || !this.deps.icmp) return;
    const now = Date.now();
    const due: DeviceRecord[] = [];
    for (const [id, e] of this.icmp) {
      if (e.nextDue > now) continue;
      const d = this.deps.devices.get(id);
      if (!d) continue;
      e.nextDue = now + d.pollIntervalSec * 1000;
      due.push(d);
    }
    if (due.length === 0) return;
    this.icmpRunning = true;
    try {
      await this.pingDevices(due);
    } catch (err) {
      this.deps.log.error({ err }, 'ICMP cycle failed');
    } finally {
      this.icmpRunning = false;
    }
  }

  async pingDevices(devices: DeviceRecord[]): Promise<void> {
    const results = await this.deps.icmp!.ping([...new Set(devices.map((d) => d.address))]);
    // A ping that was out when stop() ran: its results would land after the store closed.
    if (this.stopped()) return;
    this.stats.icmp_cycles++;
    this.stats.icmp_hosts += devices.length;
    const at = Date.now();
    const ts = Math.floor(at / 1000);
    const updates: IcmpOutcome[] = [];
    const events: NormalizedEvent[] = [];
    for (const d of devices) {
      let entry = this.icmp.get(d.id);
      if (!entry) {
        // Poll-now of a device the loop does not track (yet): start its state here.
        entry = { reach: initialReach(), nextDue: at + d.pollIntervalSec * 1000 };
        if (d.icmpEnabled) this.icmp.set(d.id, entry);
      }
      const r = results.get(d.address);
      if (!r) continue;
      const step = stepReach(entry.reach, icmpSuccess(r), this.opts.icmpDownAfter);
      entry.reach = step.state;
      if (step.changed?.to === 'down') {
        events.push({ receivedAt: at, reportedAt: null, source: 'icmp', sourceAddress: d.address, deviceId: d.id, severity: 'critical', type: 'icmp.down',
          message: `${d.name}: not answering ping (${step.state.failures} cycles, ${r.error ?? `${r.lossPct}% loss`})`, params: { lossPct: r.lossPct, failures: step.state.failures, error: r.error ?? null } });
      } else if (step.changed?.to === 'up' && step.changed.from === 'down') {
        events.push({ receivedAt: at, reportedAt: null, source: 'icmp', sourceAddress: d.address, deviceId: d.id, severity: 'info', type: 'icmp.up',
          message: `${d.name}: answers ping again (${r.rttAvgMs ?? '?'} ms)`, params: { rttMs: r.rttAvgMs, lossPct: r.lossPct } });
      }
      updates.push({ deviceId: d.id, update: { icmpState: step.state.status, at, min: r.rttMinMs, avg: r.rttAvgMs, max: r.rttMaxMs, jitter: r.jitterMs, lossPct: r.lossPct }, rtts: r.rtts });
      this.queueSample({ deviceId: d.id, metric: 'icmpLoss', instance: '', ts, value: r.lossPct, unit: '%' });
      if (r.rttAvgMs !== null) {
        this.queueSample({ deviceId: d.id, metric: 'icmpRtt', instance: '', ts, value: r.rttAvgMs, unit: 'ms' });
        if (r.jitterMs !== null) this.queueSample({ deviceId: d.id, metric: 'icmpJitter', instance: '', ts, value: r.jitterMs, unit: 'ms' });
      }
      // Loss and RTT percentiles as ordinary metrics, for threshold rules (a host that could not be pinged has no loss figure).
      if (r.rtts.length) {
        this.queueSample({ deviceId: d.id, metric: LATENCY_METRICS.lossPct, instance: '', ts, value: r.lossPct, unit: '%' });
        const p = rttPercentiles(r.rtts);
        for (const k of ['p50', 'p90', 'p95'] as const) {
          const v = p[k];
          if (v !== null) this.queueSample({ deviceId: d.id, metric: LATENCY_METRICS[k], instance: '', ts, value: v, unit: 'ms' });
        }
      }
    }
    // Handed on after any cycle still being handed on (a poll-now beside the tick): cycles land in order.
    const handOver = this.icmpHandOver.then(() => this.handOverIcmp(updates, events));
    this.icmpHandOver = handOver;
    await handOver;
  }

  /**
   * One cycle's results handed on in slices of ICMP_SLICE devices, a turn of the event loop each (a
   * 5,000-device cycle in one turn held the main thread ~0.7 s: PERFORMANCE.md, "Alarm storm"): first
   * every device's state (as before: all states are stored before any of the cycle's events), then the
   * events, in the same order. Never rejects (a failed slice is counted and logged; the others go on).
   */
  private async handOverIcmp(updates: IcmpOutcome[], events: NormalizedEvent[]): Promise<void> {
    for (let i = 0; i < updates.length; i += ICMP_SLICE) {
      if (i > 0) await nextTurn();
      const slice = updates.length <= ICMP_SLICE ? updates : updates.slice(i, i + ICMP_SLICE);
      try {
        this.deps.out.icmp(slice);
      } catch (err) {
        this.stats.icmp_write_errors++;
        this.deps.log.error({ err, devices: slice.length }, 'ICMP results could not be stored');
      }
    }
    for (let i = 0; i < events.length; i += ICMP_SLICE) {
      if (i > 0 || updates.length > ICMP_SLICE) await nextTurn();
      try {
        this.deps.out.events(events.length <= ICMP_SLICE ? events : events.slice(i, i + ICMP_SLICE));
      } catch (err) {
        this.deps.log.error({ err, events: events.length }, 'ICMP events could not be handed on');
      }
    }
  }
}
