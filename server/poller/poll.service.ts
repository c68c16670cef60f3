import type { PollResult } from '../contracts/poll.js';
import type { DeviceStatusDto } from '../contracts/poll-state.js';
import type { Logger } from '../log/logger.js';
import type { DeviceRecord } from '../store/device.repository.js';
import type { SampleInput } from '../store/sample.repository.js';
import type { PollDeviceSource, PollOutput } from './poll-io.js';
import { newMemory, processSnmpResult, type DevicePollMemory } from './poll-processor.js';
import { PollScheduler } from './scheduler.js';
import type { InventoryRequest } from '../collectors/snmp/snmp.collect.js';
import { InventorySchedule, type InventoryOutcome } from './inventory-schedule.js';
import { IcmpCycle, type IcmpRunner } from './icmp-cycle.js';
import type { TemplateRequest } from '../contracts/templates.js';
import type { TemplateEngine } from '../templates/template-engine.js';

export { ICMP_SLICE, type IcmpRunner } from './icmp-cycle.js';

/** Samples written per transaction and turn (~50 µs each under load: ~25 ms). */
export const SAMPLE_SLICE = 500;

/** Runs one SNMP poll (in-process or in a worker thread). Never rejects. */
export interface SnmpRunner {
  /**
   * `customOids`: numeric OIDs (with instance) read with the poll as metrics; `inventory`: whether to read
   * ENTITY-MIB's entPhysicalTable; `templates`: what collection templates read.
   */
  poll(device: DeviceRecord, customOids?: string[], inventory?: InventoryRequest, templates?: TemplateRequest): Promise<PollResult>;
  /**
   * Closes the device's cached SNMP session: after it was deleted or stopped being polled here, or,
   * with `current` (the edited device), only when its SNMP settings changed.
   */
  forget?(deviceId: number, current?: DeviceRecord): void;
  /** SNMP sessions open now (in every poll worker). */
  openSessions?(): Promise<number>;
  close(): Promise<void> | void;
}

export interface PollServiceOptions {
  concurrency: number;
  /** Consecutive failed ICMP cycles before a device is down. */
  icmpDownAfter: number;
  /** How often the ICMP loop looks for due devices (ms). */
  icmpTickMs?: number;
  /** Samples are written in batches at most this often (ms). */
  sampleFlushMs?: number;
  /** ENTITY-MIB inventory is read at the first poll, after a reboot and this often (ms; config inventoryIntervalMinutes). */
  inventoryIntervalMs?: number;
}

/**
 * The poller: schedules SNMP polls per device, pings due devices in batches,
 * turns results into stored state, samples and events. Collectors return
 * results; this is where they are decided upon and handed to store and bus.
 */
export class PollService {
  private readonly scheduler: PollScheduler<DeviceRecord>;
  private readonly memory = new Map<number, DevicePollMemory>();
  /** Reachability: the ICMP cycles and each device's state. */
  private readonly icmpCycle: IcmpCycle;
  private readonly inventory: InventorySchedule;
  private pendingSamples: SampleInput[] = [];
  private sampleDrainScheduled = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly stats = { snmp_polls: 0, snmp_failures: 0, snmp_poll_ms_total: 0, icmp_cycles: 0, icmp_hosts: 0, icmp_write_errors: 0, samples_written: 0, sample_write_errors: 0 };
  /** SNMP sessions open in the runner at the last count (after each poll-now and device change/delete). */
  private sessionsOpen = 0;

  constructor(
    private readonly deps: {
      /** The devices to poll (the device table, or what the centre assigned to this collector). */
      devices: PollDeviceSource;
      /** Where results go (the repositories and the bus, or batches to the centre). */
      out: PollOutput;
      log: Logger;
      snmp: SnmpRunner;
      icmp: IcmpRunner | null;
      /** User-defined OIDs of a device (its own and its group's). */
      customOids?: (device: DeviceRecord) => { oid: string; name: string; unit: string | null }[];
      /** The outbound policy's word on a device's address: denied devices are not polled or pinged. */
      allowed?: (device: DeviceRecord) => boolean;
      /** Only devices of this site are polled (this process's config `site`); the others are for their site's collectors. */
      site?: string;
      /** Collection templates (server/templates): read in the same poll, samples beside the others. */
      templates?: TemplateEngine;
    },
    private readonly opts: PollServiceOptions,
  ) {
    this.inventory = new InventorySchedule(deps.out.inventory && ((s) => deps.out.inventory!(s)), opts.inventoryIntervalMs ?? 360 * 60_000, deps.log);
    this.scheduler = new PollScheduler<DeviceRecord>({
      concurrency: opts.concurrency,
      run: (_key, device) => this.pollSnmp(device.id),
      onError: (key, err) => deps.log.error({ err, key }, 'poll job failed'),
    });
    this.icmpCycle = new IcmpCycle(deps, opts, this.stats, (s) => this.pendingSamples.push(s), () => this.stopped);
  }

  start(): void {
    const states = this.deps.out.allStatus();
    for (const d of this.deps.devices.list()) this.track(d, states.get(d.id));
    this.unsubscribe.push(this.deps.devices.watch((id) => this.reload(id), (id) => this.untrack(id)));
    this.scheduler.start();
    if (this.deps.icmp) {
      const t = setInterval(() => void this.icmpCycle.icmpTick(), this.opts.icmpTickMs ?? 5000);
      t.unref();
      this.timers.push(t);
      void this.icmpCycle.icmpTick();
    }
    const f = setInterval(() => this.flushSamples(), this.opts.sampleFlushMs ?? 250);
    f.unref();
    this.timers.push(f);
  }

  /** Devices of another site are polled by that site's collectors, not here. */
  private mine(d: DeviceRecord): boolean {
    return this.deps.site === undefined || d.site === this.deps.site;
  }

  private track(d: DeviceRecord, state?: DeviceStatusDto): void {
    if (!this.mine(d)) return this.untrack(d.id);
    if (this.deps.allowed && !this.deps.allowed(d)) {
      this.untrack(d.id);
      this.deps.log.warn({ device: d.name, address: d.address }, 'device not polled: the outbound policy denies its address');
      return;
    }
    if (!this.memory.has(d.id)) this.memory.set(d.id, newMemory(state?.snmpState ?? 'unknown'));
    if (d.snmp.enabled) this.scheduler.upsert(d.id, d.pollIntervalSec * 1000, d);
    else this.scheduler.remove(d.id);
    this.icmpCycle.track(d, state);
  }

  private reload(id: number): void {
    const d = this.deps.devices.get(id);
    if (!d) return this.untrack(id);
    // New settings (community, keys, address) mean a new session: close the device's old one.
    const polledHere = d.snmp.enabled && this.mine(d) && (!this.deps.allowed || this.deps.allowed(d));
    this.deps.snmp.forget?.(id, polledHere ? d : undefined);
    void this.countSessions();
    this.track(d);
  }

  private untrack(id: number): void {
    this.deps.snmp.forget?.(id);
    void this.countSessions();
    this.scheduler.remove(id);
    this.memory.delete(id);
    this.icmpCycle.forget(id);
    this.inventory.forget(id);
    if (!this.deps.devices.get(id)) this.deps.templates?.forget(id);
  }

  /** One SNMP poll of one device, stored and announced. Returns the stored status. */
  async pollSnmp(deviceId: number): Promise<DeviceStatusDto | undefined> {
    const device = this.deps.devices.get(deviceId);
    if (!device || !device.snmp.enabled || !this.mine(device) || (this.deps.allowed && !this.deps.allowed(device))) return this.deps.out.status(deviceId);
    const custom = this.deps.customOids?.(device) ?? [];
    // Credentials that cannot be decrypted are never sent (nor a default in their place): the poll fails visibly.
    const inv = this.inventory.request(deviceId);
    const templates = device.secretError ? undefined : this.deps.templates?.request(device);
    const result = device.secretError ? unreadableCredentials(device.address, device.secretError) : await this.deps.snmp.poll(device, custom.map((c) => c.oid), inv, templates);
    // The device may have been deleted while we waited (its session was then opened after the forget).
    if (!this.deps.devices.get(deviceId)) {
      this.deps.snmp.forget?.(deviceId);
      return undefined;
    }
    const mem = this.memory.get(deviceId) ?? newMemory();
    this.memory.set(deviceId, mem);
    const out = processSnmpResult(device, result, mem, new Map(custom.map((c) => [c.oid, c])));
    // Also without a request this poll: the engine follows reboots and identity changes of devices none of whose templates applied.
    if (this.deps.templates) {
      const t = this.deps.templates.process(device, result);
      for (const sample of t) out.samples.push(sample);
      if (out.metrics && templates) out.metrics.templates = t.map((x) => ({ metric: x.metric, instance: x.instance, value: x.value }));
      // Before the status: which templates apply (their thresholds judge the device) and what vanished.
      this.deps.out.templates?.(this.deps.templates.report(deviceId));
    }
    this.stats.snmp_polls++;
    this.stats.snmp_poll_ms_total += result.durationMs;
    if (!result.ok) this.stats.snmp_failures++;
    this.deps.out.snmp(deviceId, out.status, out.interfaces, out.neighbours, out.metrics);
    this.queueSamples(out.samples);
    if (out.events.length) this.deps.out.events(out.events);
    if (inv) this.inventory.done(deviceId, result);
    return this.deps.out.status(deviceId);
  }

  /**
   * Reads a device's inventory now (API refresh): one poll that includes it.
   * Resolves with the outcome, or undefined when this poller does not poll the device.
   */
  async refreshInventory(deviceId: number): Promise<InventoryOutcome | undefined> {
    const device = this.deps.devices.get(deviceId);
    if (!device || !device.snmp.enabled || !this.inventory.enabled) return undefined;
    const before = this.inventory.last(deviceId);
    // A poll already under way may not have asked for the inventory: then one more.
    for (let i = 0; i < 2 && this.inventory.last(deviceId) === before; i++) {
      this.inventory.due(deviceId);
      await this.pollNow(deviceId);
    }
    return this.inventory.last(deviceId) ?? undefined;
  }

  /** One poll reading only what `templates` asks (template dry run: nothing stored). */
  async pollTemplates(deviceId: number, templates: TemplateRequest): Promise<PollResult | undefined> {
    const device = this.deps.devices.get(deviceId);
    if (!device || device.secretError || !this.mine(device) || (this.deps.allowed && !this.deps.allowed(device))) return undefined;
    return this.deps.snmp.poll(device, [], undefined, templates);
  }

  /** Poll now (API): SNMP and, when enabled, one ICMP probe. */
  async pollNow(deviceId: number): Promise<DeviceStatusDto | undefined> {
    const device = this.deps.devices.get(deviceId);
    if (!device) return undefined;
    if (!this.mine(device) || (this.deps.allowed && !this.deps.allowed(device))) return this.deps.out.status(deviceId);
    const tasks: Promise<unknown>[] = [];
    if (device.snmp.enabled) tasks.push(this.scheduler.has(deviceId) ? this.scheduler.runNow(deviceId) : this.pollSnmp(deviceId));
    if (device.icmpEnabled && this.deps.icmp) tasks.push(this.icmpCycle.pingDevices([device]));
    await Promise.all(tasks);
    this.flushSamples(Infinity);
    await this.countSessions();
    return this.deps.out.status(deviceId);
  }

  /**
   * Polls several devices now (root cause: the devices behind a cause that answers again): one ICMP
   * batch for all of them, SNMP polls at most `concurrency` at a time. Devices not polled here are skipped.
   */
  async pollNowMany(ids: number[], concurrency = 16): Promise<void> {
    const devices: DeviceRecord[] = [];
    for (const id of ids) {
      const d = this.deps.devices.get(id);
      if (d && this.mine(d) && (!this.deps.allowed || this.deps.allowed(d))) devices.push(d);
    }
    const tasks: Promise<unknown>[] = [];
    const pingable = devices.filter((d) => d.icmpEnabled);
    if (pingable.length && this.deps.icmp) tasks.push(this.icmpCycle.pingDevices(pingable));
    const snmp = devices.filter((d) => d.snmp.enabled).map((d) => d.id);
    let next = 0;
    const lane = async () => {
      while (next < snmp.length) {
        const id = snmp[next++]!;
        await (this.scheduler.has(id) ? this.scheduler.runNow(id) : this.pollSnmp(id));
      }
    };
    for (let i = 0; i < Math.min(concurrency, snmp.length); i++) tasks.push(lane());
    await Promise.all(tasks);
    this.flushSamples();
  }

  private queueSamples(samples: SampleInput[]): void {
    for (const s of samples) this.pendingSamples.push(s);
    // Keep each write transaction short (the API and listeners share this thread).
    if (this.pendingSamples.length >= 4000) this.flushSamples();
  }

  /**
   * Writes the oldest `max` queued samples in one transaction and offers them to threshold rules; the
   * rest follow on the next turns of the event loop, SAMPLE_SLICE at a time, oldest first (an ICMP
   * storm queues ~10,000 at once: one transaction of them held the main thread ~0.5 s). `Infinity`:
   * everything queued now, in one go (poll-now, stop).
   */
  flushSamples(max = SAMPLE_SLICE): void {
    if (this.pendingSamples.length === 0) return;
    const all = this.pendingSamples.length <= max;
    const batch = all ? this.pendingSamples : this.pendingSamples.slice(0, max);
    this.pendingSamples = all ? [] : this.pendingSamples.slice(max);
    try {
      this.deps.out.samples(batch);
      this.stats.samples_written += batch.length;
    } catch (err) {
      this.stats.sample_write_errors += batch.length;
      this.deps.log.error({ err, count: batch.length }, 'sample write failed');
    }
    if (this.pendingSamples.length > 0 && !this.sampleDrainScheduled) {
      this.sampleDrainScheduled = true;
      setImmediate(() => {
        this.sampleDrainScheduled = false;
        this.flushSamples();
      });
    }
  }

  /** Asks the runner how many SNMP sessions are open (its answer comes after any forget sent before). */
  private async countSessions(): Promise<void> {
    try {
      if (this.deps.snmp.openSessions) this.sessionsOpen = await this.deps.snmp.openSessions();
    } catch (err) {
      this.deps.log.warn({ err }, 'could not count open SNMP sessions');
    }
  }

  counters(): Record<string, number> {
    const s = this.scheduler.stats();
    return { ...this.stats, samples_pending: this.pendingSamples.length, ...this.inventory.stats, snmp_sessions_open: this.sessionsOpen, scheduled_devices: s.jobs, running: s.running, waiting: s.waiting, skipped_overlaps: s.skipped, max_lag_ms: s.maxLagMs, polls_started: s.started, poll_lag_ms_total: s.totalLagMs };
  }

  /**
   * Stops scheduling polls (another central node took this site's poll scheduling); `start()` resumes.
   * SNMP sessions stay open; a poll already running finishes and is stored.
   */
  async pause(): Promise<void> {
    this.scheduler.stop();
    this.timers.splice(0).forEach((t) => clearInterval(t));
    this.unsubscribe.splice(0).forEach((u) => u());
    await this.icmpCycle.handOver;
    this.flushSamples(Infinity);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.scheduler.stop();
    this.timers.forEach((t) => clearInterval(t));
    this.unsubscribe.forEach((u) => u());
    // A cycle being handed on in slices finishes first; then every queued sample is written.
    await this.icmpCycle.handOver;
    this.flushSamples(Infinity);
    await this.deps.snmp.close();
  }
}

/** The failed poll of a device whose stored SNMP secrets cannot be decrypted (nothing was sent). */
function unreadableCredentials(address: string, message: string): PollResult {
  return {
    address, startedAt: Date.now(), durationMs: 0, ok: false, error: { kind: 'other', message },
    system: null, interfaces: null, host: null, ucd: null, neighbours: null, custom: null, errors: {}, requests: 0,
  };
}
