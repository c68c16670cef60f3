/**
 * Collection templates (issue 16): what the poller asks a poll worker to read
 * for the templates of one device, what comes back, and the API's DTOs.
 * Everything here crosses worker_threads (structured clone: bigint is fine).
 */

/** A varbind value as the worker hands it on: [ObjectType, value]. Counter64 is a bigint; octet strings are text (colon hex when not printable); OIDs and addresses are text. */
export type RawValue = [type: number, value: number | bigint | string];

/** Conditions the worker checks itself after reading the system group (so a template applies from the device's first poll). */
export interface TemplateMatchSpec {
  sysObjectIdPrefix?: string[];
  vendor?: string[];
  sysDescr?: string;
}

/** What to read for a device's templates in one poll. */
export interface TemplateRequest {
  /** Candidate templates: each applies when its spec matches and (if given) one of `hasTable` has rows. */
  templates: { id: string; match: TemplateMatchSpec; hasTable: string[] }[];
  /** Column OIDs to walk (GETBULK, all in one combined walk), read when one of `templates` applies. */
  columns: { oid: string; templates: string[] }[];
  /** Full OIDs read by GET, when one of `templates` applies. */
  scalars: { oid: string; templates: string[] }[];
}

export interface TemplateRawResult {
  /** Ids of the candidates that applied. */
  applied: string[];
  /** Walked columns: rows as [index (the OID after `column.`), value]. Absent when not read. */
  columns: { oid: string; rows: [index: string, value: RawValue][] }[];
  /** GET results (null: the agent has no such object). */
  scalars: { oid: string; value: RawValue | null }[];
  /** The walk or the GET failed (then the values are partial or missing). */
  error: string | null;
}

/** A template as the API lists it. */
export interface TemplateDto {
  id: string;
  name: string;
  description: string | null;
  source: 'file' | 'custom';
  /** File templates: the file it came from. */
  file: string | null;
  /** Custom templates generated for one device or one group ("Poll this table"); null = applies by its own conditions. */
  deviceId: number | null;
  group: string | null;
  /** Devices it currently applies to (as this node's poller knows). */
  appliedTo: number;
  body: unknown;
  createdAt: number | null;
  updatedAt: number | null;
}

export interface TemplateInstanceDto {
  table: string;
  index: string;
  label: string;
  /** Milliseconds since the epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Set when the row vanished at a rediscovery (kept, shown as gone). */
  goneAt: number | null;
  /** Last stored values: metric name -> value (and the state name for enum metrics). */
  values: { metric: string; value: number; unit: string | null; state: string | null; at: number }[];
}

export interface DeviceTemplateDto {
  id: string;
  name: string;
  source: 'file' | 'custom';
  discoveredAt: number | null;
  nextDiscoveryAt: number | null;
  error: string | null;
  instances: TemplateInstanceDto[];
  /** Scalars: instance '' values. */
  scalars: { metric: string; value: number; unit: string | null; state: string | null; at: number }[];
}

/**
 * What a device's poll told of its templates, handed from the poller to where thresholds are judged
 * (at a collector: published with the poll's status item, checked at the central).
 * `applied`: the ids of the templates that apply to the device now; `gone`: instances marked gone by
 * this poll's discovery, with the metric names their table produces (their threshold alarms are cleared).
 */
export interface TemplateReport {
  deviceId: number;
  applied: string[];
  gone: { instance: string; metrics: string[] }[];
}
