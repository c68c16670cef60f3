/**
 * Alarms, rules, maintenance windows and notification channels as the REST API
 * returns them and the console consumes them (`import type`).
 *
 * Events are immutable facts; alarms are mutable state derived from them: one
 * alarm per reduction key, raised by problem events and cleared by resolution
 * events whose clear key equals the reduction key.
 */
import type { Severity, SourceKind } from './events.js';

/**
 * Event `type` names the default rule pack relies on. Collectors and the poller
 * emit these so the shipped rules raise and clear the right alarms.
 */
export const EVENT_TYPES = {
  /** ICMP poller: device stopped / started answering pings. params: { loss?, rttMs? } */
  icmpDown: 'icmp.down',
  icmpUp: 'icmp.up',
  /** SNMP poller: agent stopped / started answering. params: { error? } */
  snmpUnreachable: 'snmp.unreachable',
  snmpReachable: 'snmp.reachable',
  /** Poller: ifOperStatus changed. params: { ifIndex: number, ifName?: string, ifDescr?: string } */
  interfaceDown: 'interface.down',
  interfaceUp: 'interface.up',
  /** Poller: the device rejected our SNMP credentials. params: { error } */
  snmpAuthFailure: 'snmp.authFailure',
  /** Poller: sysUpTime went backwards (the device restarted). */
  deviceReboot: 'device.reboot',
  /** Trap receiver: a community/USM check failed (no trap OID). params: { reason, user?, udpAddress, udpPort } (never the community tried) */
  snmpAuthenticationFailure: 'snmp.authenticationFailure',
  /** Emitted by the threshold evaluator (source 'poll'). params: ThresholdEventParams */
  thresholdExceeded: 'threshold.exceeded',
  thresholdCleared: 'threshold.cleared',
} as const;

/**
 * Traps: `type` is the numeric trap OID (SNMPv2 snmpTrapOID.0, v1 traps converted
 * per RFC 3584) and `params.varbinds` is `{ oid, type, value }[]` (numeric OIDs).
 * `params.trapOid` may repeat the OID; the engine reads `params.trapOid ?? type`.
 */
export const TRAP_OIDS = {
  coldStart: '1.3.6.1.6.3.1.1.5.1',
  warmStart: '1.3.6.1.6.3.1.1.5.2',
  linkDown: '1.3.6.1.6.3.1.1.5.3',
  linkUp: '1.3.6.1.6.3.1.1.5.4',
  authenticationFailure: '1.3.6.1.6.3.1.1.5.5',
} as const;

/**
 * Syslog events: the engine reads `params.facility` (number or keyword),
 * `params.severityNumber` (0-7, or `params.severity` when numeric),
 * `params.hostname`, `params.appName`, `params.msgId`, `params.structuredData`
 * (`{ [sdId]: { [name]: value } }`).
 */

/**
 * Metric names the shipped threshold rules watch (published on `metrics.sampled`).
 * cpuUtilisation: percent, instance '' or CPU index; ifUtilisation: percent of ifSpeed,
 * instance = ifName; ifInErrors/ifOutErrors: errors per second; icmpLoss: percent.
 */
export const METRIC_NAMES = {
  cpu: 'cpuUtilisation',
  ifUtilisation: 'ifUtilisation',
  ifInErrors: 'ifInErrors',
  ifOutErrors: 'ifOutErrors',
  icmpLoss: 'icmpLoss',
} as const;

export interface ThresholdEventParams {
  ruleId: number;
  metric: string;
  instance: string;
  value: number;
  threshold: number;
  title: string;
}

export const ALARM_STATES = ['active', 'acknowledged', 'cleared'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export interface AlarmNoteDto {
  id: number;
  user: string;
  text: string;
  createdAt: number;
}

export interface AlarmDto {
  id: number;
  reductionKey: string;
  state: AlarmState;
  severity: Severity;
  title: string;
  /** Message of the last event. */
  message: string;
  deviceId: number | null;
  sourceAddress: string | null;
  source: SourceKind;
  eventType: string;
  ruleId: number | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  clearedAt: number | null;
  clearedBy: string | null;
  inMaintenance: boolean;
  flapping: boolean;
  archived: boolean;
  notes: AlarmNoteDto[];
  /** Root cause (issue 17, server/contracts/root-cause.ts): raised under a cause, no notification. */
  suppressed?: boolean;
  /** The cause's alarm when suppressed. */
  rootAlarmId?: number | null;
  /** For a cause: devices behind it that are unreachable now. */
  impactCount?: number;
}

// ---- rules ----

export const CONDITION_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'prefix', 'contains', 'regex', 'exists'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export interface ValueCondition {
  op: ConditionOp;
  value?: string | number | boolean;
}

export interface EventRuleMatch {
  sources?: SourceKind[];
  /** Exact event types. */
  types?: string[];
  deviceIds?: number[];
  groups?: string[];
  /** Device has at least one of these tags. */
  tags?: string[];
  /** Only events at least this severe (as normalised so far). */
  minSeverity?: Severity;
  /** Trap OID, exact (numeric or MIB name). */
  trapOid?: string;
  /** Trap OID prefix (numeric or MIB name). */
  trapOidPrefix?: string;
  /** Varbinds: `oid` is a numeric OID (or MIB name) matched exactly or as the prefix of an instance OID. */
  varbinds?: ({ oid: string } & ValueCondition)[];
  syslog?: {
    facilities?: (number | string)[];
    /** Syslog severity number at most this (0 emergency … 7 debug); 3 = error or worse. */
    maxSeverity?: number;
    hostname?: string;
    appName?: string;
    msgId?: string;
    /** Structured data: `sdId.param` -> value (equality). */
    structuredData?: Record<string, string>;
  };
  /** Generic `params.<path>` conditions (dot path). */
  params?: ({ path: string } & ValueCondition)[];
  /** Regular expression on the message; named captures become template variables. */
  message?: string;
  messageCaseInsensitive?: boolean;
  /** Matches only from the N-th matching event within T seconds (per device or sender). */
  rate?: { count: number; windowSec: number };
}

export const DISPOSITIONS = ['store', 'alarm', 'clear', 'drop'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
export const NOTIFY_ON = ['raise', 'severity', 'clear'] as const;
export type NotifyOn = (typeof NOTIFY_ON)[number];

export interface EventRuleActions {
  severity?: Severity;
  /** Title template, e.g. `{device.name}: {ifName} down`. Stored as `params.title`. */
  title?: string;
  /** store (default): keep the event only; alarm: raise/update; clear: clear by clear key; drop: count and discard. */
  disposition?: Disposition;
  /** Required for `alarm`, e.g. `linkDown:{deviceOrSource}:{ifIndex}`. */
  reductionKey?: string;
  /** Required for `clear`: the reduction key of the alarm this event clears. */
  clearKey?: string;
  notify?: { channelIds: number[]; on: NotifyOn[] };
  /** Keep evaluating later rules after this one matched (later rules may override). */
  continue?: boolean;
}

export interface EventRuleBody {
  kind: 'event';
  match: EventRuleMatch;
  actions: EventRuleActions;
}

export const THRESHOLD_OPS = ['>', '>=', '<', '<='] as const;
export type ThresholdOp = (typeof THRESHOLD_OPS)[number];

export interface ThresholdRuleBody {
  kind: 'threshold';
  metrics: string[];
  /** Instance glob (`*` wildcard; '' = only the empty instance, e.g. the CPU average); omitted = every instance. */
  instance?: string;
  deviceIds?: number[];
  groups?: string[];
  tags?: string[];
  op: ThresholdOp;
  value: number;
  /** Hysteresis: the condition clears only when the value is back past this (default `value`). */
  clearValue?: number;
  /** Raise only after this many consecutive polls over the threshold (default 1). */
  forPolls?: number;
  /** …and only after it has been over for this long (default 0). */
  forSec?: number;
  severity: Severity;
  /** Title template; `{metric}`, `{instance}`, `{value}`, `{threshold}` and `{device.name}` are available. */
  title?: string;
  /** Channels notified when this threshold raises / clears its alarm. */
  notify?: { channelIds: number[]; on: NotifyOn[] };
}

export type RuleBody = EventRuleBody | ThresholdRuleBody;

export interface RuleDto {
  id: number;
  name: string;
  description: string;
  enabled: boolean;
  position: number;
  /** Set for rules of the shipped default pack. */
  builtinKey: string | null;
  body: RuleBody;
  createdAt: number;
  updatedAt: number;
  /** Events this rule matched since the server started (list and get only). */
  hits?: number;
}

export interface RuleTestResult {
  evaluated: number;
  matched: number;
  results: {
    eventId: number;
    receivedAt: number;
    message: string;
    severity: Severity;
    title: string | null;
    disposition: Disposition;
    reductionKey: string | null;
    clearKey: string | null;
  }[];
}

// ---- maintenance ----

export interface MaintenanceWindowDto {
  id: number;
  name: string;
  deviceId: number | null;
  group: string | null;
  /** once: startsAt..endsAt; weekly: on `days` (0 = Sunday) from `startTime` for `durationMin`; daily: every day. */
  kind: 'once' | 'daily' | 'weekly';
  startsAt: number | null;
  endsAt: number | null;
  days: number[];
  /** HH:MM in `timezone`. */
  startTime: string | null;
  durationMin: number | null;
  timezone: string;
  createdBy: string;
  createdAt: number;
  /** Computed: the window is in effect now. */
  activeNow: boolean;
}

// ---- notifications ----

export const CHANNEL_TYPES = ['webhook', 'slack', 'email', 'teams', 'telegram', 'pagerduty', 'opsgenie', 'alertmanager', 'http'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface NotificationChannelDto {
  id: number;
  name: string;
  type: ChannelType;
  enabled: boolean;
  /** Settings with secrets replaced by `<name>Set: boolean`. */
  config: Record<string, unknown>;
  sentCount: number;
  failedCount: number;
  lastSuccessAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The JSON body a generic webhook receives. */
export interface AlarmNotificationPayload {
  kind: 'raise' | 'severity' | 'clear' | 'test';
  alarm: Pick<AlarmDto, 'id' | 'reductionKey' | 'state' | 'severity' | 'title' | 'message' | 'deviceId' | 'sourceAddress' | 'count' | 'firstSeen' | 'lastSeen'> & {
    deviceName: string | null;
  };
  previousSeverity?: Severity;
  sentAt: number;
}
