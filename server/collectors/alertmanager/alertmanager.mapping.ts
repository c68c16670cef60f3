import type { NormalizedEvent, Severity } from '../../contracts/events.js';
import type { LabelSet, WebhookAlert, WebhookMessage } from './alertmanager.schema.js';

/**
 * Alertmanager alerts -> Netwatch events. Pure. One event per alert of a webhook message:
 * - type: the `alertname` label (`alertmanager` when missing);
 * - severity: the `severity` label mapped to ours (`SEVERITY_WORDS`), else the configured default;
 *   a resolved alert is an `info` event (the rule that clears keeps it so);
 * - message: `<alertname>: <summary or description>` (`<alertname> resolved: …` when resolved);
 * - params: `status` (firing/resolved), `fingerprint` (the reduction key of the default rules),
 *   `alertname`, `labels` and `annotations` (objects without a prototype: a `__proto__` label is
 *   data), `startsAt`/`endsAt` (ms), `generatorURL`, `receiver`, `externalURL`, `hostname` (the
 *   device label's host, searchable as the event's host);
 * - device: the first of the configured labels whose host names a device (see AlertDeviceMatcher).
 */

/** Words of the `severity` label (lower-cased) and the Netwatch severity each means. */
export const SEVERITY_WORDS: ReadonlyMap<string, Severity> = new Map([
  ['critical', 'critical'], ['crit', 'critical'], ['fatal', 'critical'], ['emergency', 'critical'], ['page', 'critical'],
  ['major', 'major'], ['error', 'major'], ['err', 'major'], ['high', 'major'],
  ['minor', 'minor'], ['low', 'minor'],
  ['warning', 'warning'], ['warn', 'warning'],
  ['info', 'info'], ['informational', 'info'], ['notice', 'info'], ['none', 'info'],
  ['debug', 'debug'],
]);

export function mapSeverity(label: string | undefined, fallback: Severity): Severity {
  if (label === undefined) return fallback;
  return SEVERITY_WORDS.get(label.trim().toLowerCase()) ?? fallback;
}

/**
 * Alertmanager's (Prometheus') fingerprint of a label set: FNV-1a 64 over the label names in byte
 * order, each name and value followed by a 0xff byte, as 16 hex digits. Used when a sender leaves
 * `fingerprint` out, so its alerts reduce exactly as Alertmanager's own would. The 64-bit state is
 * kept in four 16-bit limbs (about half the time of BigInt arithmetic per byte).
 */
export function labelFingerprint(labels: LabelSet): string {
  const pairs = [...labels].map(([n, v]) => [Buffer.from(n, 'utf8'), Buffer.from(v, 'utf8')] as const).sort((a, b) => Buffer.compare(a[0], b[0]));
  // Offset basis 0xcbf29ce484222325, least significant limb first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  // h = (h ^ byte) * 0x100000001b3 mod 2^64; the prime's limbs are 0x01b3, 0, 0x0100, 0.
  const add = (b: number) => {
    h0 ^= b;
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + h0 * 0x100;
    let t3 = h3 * 0x1b3 + h1 * 0x100;
    t1 += t0 >>> 16;
    t2 += Math.floor(t1 / 0x10000);
    t3 += Math.floor(t2 / 0x10000);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  for (const [name, value] of pairs) {
    for (const b of name) add(b);
    add(0xff);
    for (const b of value) add(b);
    add(0xff);
  }
  const hex = (x: number) => x.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/**
 * The host a label value names: `host:port` -> `host`, `[v6]:port` -> `v6`, a bare IPv6 stays whole;
 * a URL (`https://host:port/path`, as blackbox targets are) -> its host. Lower-cased; null when empty.
 */
export function hostOf(value: string): string | null {
  let v = value.trim();
  if (v === '') return null;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(v);
  if (scheme) {
    try {
      v = new URL(v).hostname;
    } catch {
      v = v.slice(scheme[0].length).split(/[/?#]/, 1)[0]!;
    }
  }
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    v = end > 0 ? v.slice(1, end) : v.slice(1);
  } else {
    const colons = v.split(':').length - 1;
    if (colons === 1) v = v.slice(0, v.indexOf(':')); // host:port (two or more colons: an IPv6 address)
  }
  v = v.toLowerCase();
  return v === '' ? null : v;
}

/** Object without a prototype, for names from the wire. */
function dict(m: LabelSet): Record<string, string> {
  const o = Object.create(null) as Record<string, string>;
  for (const [k, v] of m) o[k] = v;
  return o;
}

export interface MappingOptions {
  /** Labels whose value may name a device, in order (config `alertmanagerDeviceLabels`). */
  deviceLabels: readonly string[];
  /** Severity when the `severity` label is missing or unknown (config `alertmanagerDefaultSeverity`). */
  defaultSeverity: Severity;
  /** Host (from a device label) -> device id, or null. */
  findDevice: (host: string) => number | null;
  now: number;
}

/** The first device label with a value: its host and the device it names (if any device does). */
export function deviceOf(labels: LabelSet, opts: Pick<MappingOptions, 'deviceLabels' | 'findDevice'>): { host: string | null; deviceId: number | null } {
  let first: string | null = null;
  for (const name of opts.deviceLabels) {
    const value = labels.get(name);
    if (value === undefined) continue;
    const host = hostOf(value);
    if (host === null) continue;
    first ??= host;
    const id = opts.findDevice(host);
    if (id !== null) return { host, deviceId: id };
  }
  return { host: first, deviceId: null };
}

const MAX_TYPE = 256;
const MAX_MESSAGE = 8192;

export function alertToEvent(alert: WebhookAlert, msg: Pick<WebhookMessage, 'receiver' | 'externalURL'>, opts: MappingOptions): NormalizedEvent {
  const labels = alert.labels;
  const alertname = labels.get('alertname')?.trim() || 'alertmanager';
  const resolved = alert.status === 'resolved';
  const fingerprint = alert.fingerprint ?? labelFingerprint(labels);
  const { host, deviceId } = deviceOf(labels, opts);
  const text = alert.annotations.get('summary')?.trim() || alert.annotations.get('description')?.trim() || alert.annotations.get('message')?.trim() || '';
  const head = resolved ? `${alertname} resolved` : alertname;
  const params: Record<string, unknown> = {
    status: alert.status,
    fingerprint,
    alertname,
    labels: dict(labels),
    annotations: dict(alert.annotations),
    startsAt: alert.startsAt ?? null,
    endsAt: alert.endsAt ?? null,
    receiver: msg.receiver,
  };
  if (alert.generatorURL) params.generatorURL = alert.generatorURL;
  if (msg.externalURL) params.externalURL = msg.externalURL;
  if (host !== null) params.hostname = host;
  return {
    receivedAt: opts.now,
    reportedAt: (resolved ? alert.endsAt : alert.startsAt) ?? null,
    source: 'alertmanager',
    // The sender is Alertmanager, not the host the alert is about: no address, so neither the writer's
    // address lookup nor the unknown-senders list mistakes one for the other. The device comes from labels.
    sourceAddress: null,
    deviceId,
    severity: resolved ? 'info' : mapSeverity(labels.get('severity'), opts.defaultSeverity),
    type: alertname.slice(0, MAX_TYPE),
    message: (text ? `${head}: ${text}` : head).slice(0, MAX_MESSAGE),
    params,
  };
}

/** Every alert of a message, in order. */
export function webhookToEvents(msg: WebhookMessage, opts: MappingOptions): NormalizedEvent[] {
  return msg.alerts.map((a) => alertToEvent(a, msg, opts));
}
