import { z } from 'zod';
import { IF_COUNTERS, type IfCounterName } from '../contracts/poll.js';
import type { SampleInput } from '../store/sample.repository.js';
import type { RemoteNeighbourItem, RemoteStatusItem } from './collector-polling.js';
import type { InventorySnapshot } from '../contracts/inventory.js';

/**
 * What a collector's poller publishes on `samples`, `status` and `neighbours`, checked at the centre
 * item by item before anything is written (a bad item is dropped and counted, the rest of its batch kept). Pure.
 */
export const MAX_POLL_BATCH_ITEMS = 100_000;

const time = z.number().int().min(0).max(8.64e15);
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const num = z.number().finite();
const str = (max: number) => z.string().max(max);
const optStr = (max: number) => str(max).nullable();

const sample = z
  .object({ deviceId: id, metric: str(128).min(1), instance: str(512), ts: z.number().int().min(0).max(8.64e12), value: num, unit: optStr(64).optional() })
  .strict();

const system = z
  .object({ sysName: optStr(1024), sysDescr: optStr(4096), sysObjectID: optStr(512), vendor: optStr(255), sysUpTimeCs: num.nullable(), sysContact: optStr(1024), sysLocation: optStr(1024) })
  .strict();

const snmpUpdate = z
  .object({
    snmpState: z.enum(['up', 'down', 'auth_failure', 'unknown']),
    at: time,
    durationMs: z.number().min(0).max(86_400_000),
    error: optStr(4096),
    errorKind: optStr(64),
    system: system.optional(),
  })
  .strict();

const iface = z
  .object({
    ifIndex: z.number().int().min(0).max(2 ** 32),
    name: str(255),
    descr: optStr(1024),
    alias: optStr(1024),
    type: z.number().int().nullable(),
    speedBps: num.nullable(),
    mac: optStr(64),
    adminStatus: z.number().int().nullable(),
    operStatus: z.number().int().nullable(),
    inBps: num.nullable(),
    outBps: num.nullable(),
    inErrorsPs: num.nullable(),
    outErrorsPs: num.nullable(),
    inDiscardsPs: num.nullable(),
    outDiscardsPs: num.nullable(),
    inUtilPct: num.nullable(),
    outUtilPct: num.nullable(),
    hcCounters: z.boolean(),
  })
  .strict();

const icmpUpdate = z
  .object({ icmpState: z.enum(['up', 'down', 'unknown']), at: time, min: num.nullable(), avg: num.nullable(), max: num.nullable(), jitter: num.nullable(), lossPct: z.number().min(0).max(100) })
  .strict();

const MAX_COUNTER = 2n ** 64n - 1n;
/** A raw counter as decimal text: digits only, at most 2^64-1 (a Counter64). */
const counterText = z
  .object({ v: z.string().regex(/^\d{1,20}$/).refine((v) => /^\d{1,20}$/.test(v) && BigInt(v) <= MAX_COUNTER, 'more than 2^64-1'), b: z.union([z.literal(32), z.literal(64)]) })
  .strict();
const intOrNull = z.number().int().nullable();
const ifMetrics = z
  .object({
    ifIndex: z.number().int().min(0).max(2 ** 32),
    name: str(255),
    descr: optStr(1024),
    alias: optStr(1024),
    type: intOrNull,
    mtu: intOrNull,
    speedBps: num.nullable(),
    adminStatus: intOrNull,
    operStatus: intOrNull,
    lastChangeCs: num.nullable(),
    // Fixed keys only (strict): a name from the wire never becomes a key of anything.
    counters: z.object(Object.fromEntries(IF_COUNTERS.map((c) => [c, counterText.optional()])) as Record<IfCounterName, z.ZodOptional<typeof counterText>>).strict(),
  })
  .strict();
const snmpMetrics = z
  .object({
    sysUpTimeCs: num.nullable(),
    interfaces: z.array(ifMetrics).max(100_000).nullable(),
    host: z
      .object({
        processors: z.array(z.object({ index: z.number().int().min(0).max(2 ** 32), loadPct: num }).strict()).max(10_000),
        storage: z.array(z.object({ index: z.number().int().min(0).max(2 ** 32), kind: z.enum(['ram', 'virtual', 'disk', 'other']), descr: str(1024), sizeBytes: num, usedBytes: num }).strict()).max(10_000),
      })
      .strict()
      .nullable(),
    ucd: z
      .object({ load1: num.nullable(), load5: num.nullable(), load15: num.nullable(), memTotalRealKb: num.nullable(), memAvailRealKb: num.nullable(), memTotalSwapKb: num.nullable(), memAvailSwapKb: num.nullable(), memBufferKb: num.nullable(), memCachedKb: num.nullable() })
      .strict()
      .nullable(),
    custom: z.array(z.object({ oid: str(512).regex(/^\d+(\.\d+)*$/), name: str(128), value: num }).strict()).max(10_000).nullable(),
    templates: z.array(z.object({ metric: str(128), instance: str(1024), value: num }).strict()).max(100_000).nullable().optional(),
  })
  .strict();

/** The templates that apply to the device (ids, as the central knows them or not) and the instances marked gone. */
const templateReport = z
  .object({
    applied: z.array(str(100).min(1)).max(1000),
    gone: z.array(z.object({ instance: str(1024), metrics: z.array(str(128).min(1)).max(1000) }).strict()).max(1000),
  })
  .strict();

const statusItem = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('snmp'), deviceId: id, update: snmpUpdate, interfaces: z.array(iface).max(100_000).nullable(), metrics: snmpMetrics.nullable().optional(), templates: templateReport.optional() }).strict(),
  // rtts: one entry per probe (config icmpProbes ≤ 100), ms, null = lost.
  z.object({ kind: z.literal('icmp'), deviceId: id, update: icmpUpdate, rtts: z.array(z.number().finite().min(0).max(3_600_000).nullable()).max(100).optional() }).strict(),
]);

const neighbour = z
  .object({
    protocol: z.enum(['lldp', 'cdp']),
    localPort: str(255),
    remoteChassis: str(255),
    remotePort: str(255),
    remotePortDesc: optStr(1024),
    remoteSysName: optStr(1024),
    remoteMgmtAddr: optStr(255),
  })
  .strict();
const neighbourItem = z.object({ deviceId: id, at: time, neighbours: z.array(neighbour).max(10_000) }).strict();

/** A collector's inventory snapshot: its items are checked one by one by the inventory service (bad ones dropped, counted). */
const inventorySnapshot = z
  .object({ deviceId: id, source: str(100).min(1), collectedAt: time, items: z.array(z.record(z.string(), z.unknown())).max(10_000) })
  .strict();

export interface CheckedItems<T> {
  items: T[];
  invalid: number;
  /** The first few reasons (for the log). */
  reasons: string[];
}

function checkAll<T>(schema: z.ZodType<T>, raw: unknown[]): CheckedItems<T> {
  const out: CheckedItems<T> = { items: [], invalid: 0, reasons: [] };
  if (raw.length > MAX_POLL_BATCH_ITEMS) return { items: [], invalid: raw.length, reasons: [`more than ${MAX_POLL_BATCH_ITEMS} items`] };
  for (const x of raw) {
    const r = schema.safeParse(x);
    if (r.success) out.items.push(r.data);
    else {
      out.invalid++;
      if (out.reasons.length < 3) out.reasons.push(r.error.issues.slice(0, 2).map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; ').slice(0, 300));
    }
  }
  return out;
}

export const checkRemoteSamples = (raw: unknown[]): CheckedItems<SampleInput> => checkAll(sample, raw);
export const checkRemoteStatus = (raw: unknown[]): CheckedItems<RemoteStatusItem> => checkAll(statusItem as z.ZodType<RemoteStatusItem>, raw);
export const checkRemoteInventory = (raw: unknown[]): CheckedItems<InventorySnapshot> => checkAll(inventorySnapshot as unknown as z.ZodType<InventorySnapshot>, raw);
export const checkRemoteNeighbours = (raw: unknown[]): CheckedItems<RemoteNeighbourItem> => checkAll(neighbourItem as z.ZodType<RemoteNeighbourItem>, raw);
