/**
 * The rule form's flat model and its conversion to and from the API's rule
 * body. Match settings the form has no field for (params conditions, syslog
 * facilities, structured data) are carried over unchanged when a rule is edited.
 */
import type { Disposition, EventRuleBody, EventRuleMatch, NotifyOn, RuleBody, RuleDto, ThresholdOp, ThresholdRuleBody, ConditionOp } from '@contracts/alarms';
import type { Severity, SourceKind } from '@contracts/events';

export interface VarbindRow {
  oid: string;
  op: ConditionOp;
  value: string;
}

export interface RuleFormModel {
  name: string;
  description: string;
  enabled: boolean;
  kind: 'event' | 'threshold';
  // event match
  sources: SourceKind[];
  types: string;
  deviceIds: number[];
  groups: string;
  tags: string;
  minSeverity: Severity | '';
  trapOid: string;
  trapOidPrefix: string;
  varbinds: VarbindRow[];
  message: string;
  messageCaseInsensitive: boolean;
  syslogMaxSeverity: number | '';
  syslogHostname: string;
  syslogAppName: string;
  syslogMsgId: string;
  rateCount: number | '';
  rateWindowSec: number | '';
  // event actions
  severity: Severity | '';
  title: string;
  disposition: Disposition;
  reductionKey: string;
  clearKey: string;
  notifyChannelIds: number[];
  notifyOn: NotifyOn[];
  continueAfter: boolean;
  // threshold
  metrics: string;
  /** Omit the instance: the threshold applies to every instance. */
  everyInstance: boolean;
  /** Instance glob; '' = only the empty instance (e.g. the CPU average). */
  instance: string;
  op: ThresholdOp;
  value: number | '';
  clearValue: number | '';
  forPolls: number | '';
  forSec: number | '';
  /** Match settings without a form field, kept as they were. */
  extraMatch: { params?: EventRuleMatch['params']; syslog?: Pick<NonNullable<EventRuleMatch['syslog']>, 'facilities' | 'structuredData'> };
}

export const SYSLOG_SEVERITY_NAMES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const;

export function emptyRuleForm(): RuleFormModel {
  return {
    name: '', description: '', enabled: true, kind: 'event',
    sources: [], types: '', deviceIds: [], groups: '', tags: '', minSeverity: '', trapOid: '', trapOidPrefix: '', varbinds: [],
    message: '', messageCaseInsensitive: false, syslogMaxSeverity: '', syslogHostname: '', syslogAppName: '', syslogMsgId: '', rateCount: '', rateWindowSec: '',
    severity: '', title: '', disposition: 'alarm', reductionKey: '{deviceOrSource}:{type}', clearKey: '', notifyChannelIds: [], notifyOn: ['raise', 'severity', 'clear'], continueAfter: false,
    metrics: '', everyInstance: true, instance: '', op: '>', value: '', clearValue: '', forPolls: '', forSec: '',
    extraMatch: {},
  };
}

const csv = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
const joined = (a: readonly string[] | undefined): string => (a ?? []).join(', ');
const num = (v: number | undefined): number | '' => (v === undefined ? '' : v);

export function formFromRule(r: RuleDto): RuleFormModel {
  const m = emptyRuleForm();
  m.name = r.name;
  m.description = r.description;
  m.enabled = r.enabled;
  const b = r.body;
  if (b.kind === 'threshold') {
    m.kind = 'threshold';
    m.metrics = joined(b.metrics);
    m.everyInstance = b.instance === undefined;
    m.instance = b.instance ?? '';
    m.deviceIds = [...(b.deviceIds ?? [])];
    m.groups = joined(b.groups);
    m.tags = joined(b.tags);
    m.op = b.op;
    m.value = b.value;
    m.clearValue = num(b.clearValue);
    m.forPolls = num(b.forPolls);
    m.forSec = num(b.forSec);
    m.severity = b.severity;
    m.title = b.title ?? '';
    m.notifyChannelIds = [...(b.notify?.channelIds ?? [])];
    m.notifyOn = [...(b.notify?.on ?? m.notifyOn)];
    return m;
  }
  const x = b.match;
  m.sources = [...(x.sources ?? [])];
  m.types = joined(x.types);
  m.deviceIds = [...(x.deviceIds ?? [])];
  m.groups = joined(x.groups);
  m.tags = joined(x.tags);
  m.minSeverity = x.minSeverity ?? '';
  m.trapOid = x.trapOid ?? '';
  m.trapOidPrefix = x.trapOidPrefix ?? '';
  m.varbinds = (x.varbinds ?? []).map((v) => ({ oid: v.oid, op: v.op, value: v.value === undefined ? '' : String(v.value) }));
  m.message = x.message ?? '';
  m.messageCaseInsensitive = x.messageCaseInsensitive ?? false;
  m.syslogMaxSeverity = num(x.syslog?.maxSeverity);
  m.syslogHostname = x.syslog?.hostname ?? '';
  m.syslogAppName = x.syslog?.appName ?? '';
  m.syslogMsgId = x.syslog?.msgId ?? '';
  m.rateCount = num(x.rate?.count);
  m.rateWindowSec = num(x.rate?.windowSec);
  m.extraMatch = {};
  if (x.params?.length) m.extraMatch.params = x.params;
  if (x.syslog?.facilities?.length || x.syslog?.structuredData) {
    m.extraMatch.syslog = {};
    if (x.syslog.facilities?.length) m.extraMatch.syslog.facilities = x.syslog.facilities;
    if (x.syslog.structuredData) m.extraMatch.syslog.structuredData = x.syslog.structuredData;
  }
  const a = b.actions;
  m.severity = a.severity ?? '';
  m.title = a.title ?? '';
  m.disposition = a.disposition ?? 'store';
  m.reductionKey = a.reductionKey ?? '';
  m.clearKey = a.clearKey ?? '';
  m.notifyChannelIds = [...(a.notify?.channelIds ?? [])];
  m.notifyOn = [...(a.notify?.on ?? m.notifyOn)];
  m.continueAfter = a.continue ?? false;
  return m;
}

/** Field errors the form can see before asking the server; keys are model field names. */
export function validateRuleForm(m: RuleFormModel): Record<string, string> {
  const e: Record<string, string> = {};
  if (!m.name.trim()) e.name = 'Give the rule a name';
  if (m.kind === 'threshold') {
    if (csv(m.metrics).length === 0) e.metrics = 'Name at least one metric';
    if (m.value === '' || !Number.isFinite(m.value)) e.value = 'Enter a number';
    if (!m.severity) e.severity = 'Choose a severity';
    return e;
  }
  if (m.message) {
    try {
      new RegExp(m.message);
    } catch {
      e.message = 'Not a valid regular expression';
    }
  }
  if (m.disposition === 'alarm' && !m.reductionKey.trim()) e.reductionKey = 'An alarm needs a reduction key';
  if (m.disposition === 'clear' && !m.clearKey.trim()) e.clearKey = 'Clearing needs a clear key';
  if ((m.rateCount === '') !== (m.rateWindowSec === '')) e.rateCount = 'Give both a count and a window';
  else if (m.rateCount !== '' && m.rateCount < 2) e.rateCount = 'At least 2 events';
  m.varbinds.forEach((v, i) => {
    if (!v.oid.trim()) e[`varbinds.${i}`] = 'Enter an OID';
  });
  return e;
}

function scalar(op: ConditionOp, v: string): string | number | undefined {
  if (op === 'exists') return undefined;
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

export function toRuleBody(m: RuleFormModel): RuleBody {
  const notify = m.notifyChannelIds.length ? { channelIds: [...m.notifyChannelIds], on: [...m.notifyOn] } : undefined;
  if (m.kind === 'threshold') {
    const t: ThresholdRuleBody = { kind: 'threshold', metrics: csv(m.metrics), op: m.op, value: Number(m.value), severity: (m.severity || 'warning') as Severity };
    if (!m.everyInstance) t.instance = m.instance;
    if (m.deviceIds.length) t.deviceIds = [...m.deviceIds];
    if (csv(m.groups).length) t.groups = csv(m.groups);
    if (csv(m.tags).length) t.tags = csv(m.tags);
    if (m.clearValue !== '') t.clearValue = m.clearValue;
    if (m.forPolls !== '') t.forPolls = m.forPolls;
    if (m.forSec !== '') t.forSec = m.forSec;
    if (m.title.trim()) t.title = m.title.trim();
    if (notify) t.notify = notify;
    return t;
  }
  const match: EventRuleMatch = {};
  if (m.sources.length) match.sources = [...m.sources];
  if (csv(m.types).length) match.types = csv(m.types);
  if (m.deviceIds.length) match.deviceIds = [...m.deviceIds];
  if (csv(m.groups).length) match.groups = csv(m.groups);
  if (csv(m.tags).length) match.tags = csv(m.tags);
  if (m.minSeverity) match.minSeverity = m.minSeverity;
  if (m.trapOid.trim()) match.trapOid = m.trapOid.trim();
  if (m.trapOidPrefix.trim()) match.trapOidPrefix = m.trapOidPrefix.trim();
  if (m.varbinds.length) {
    match.varbinds = m.varbinds.map((v) => {
      const value = scalar(v.op, v.value);
      return value === undefined ? { oid: v.oid.trim(), op: v.op } : { oid: v.oid.trim(), op: v.op, value };
    });
  }
  if (m.message) match.message = m.message;
  if (m.message && m.messageCaseInsensitive) match.messageCaseInsensitive = true;
  const syslog: NonNullable<EventRuleMatch['syslog']> = { ...(m.extraMatch.syslog ?? {}) };
  if (m.syslogMaxSeverity !== '') syslog.maxSeverity = m.syslogMaxSeverity;
  if (m.syslogHostname.trim()) syslog.hostname = m.syslogHostname.trim();
  if (m.syslogAppName.trim()) syslog.appName = m.syslogAppName.trim();
  if (m.syslogMsgId.trim()) syslog.msgId = m.syslogMsgId.trim();
  if (Object.keys(syslog).length) match.syslog = syslog;
  if (m.extraMatch.params?.length) match.params = m.extraMatch.params;
  if (m.rateCount !== '' && m.rateWindowSec !== '') match.rate = { count: m.rateCount, windowSec: m.rateWindowSec };

  const actions: EventRuleBody['actions'] = { disposition: m.disposition };
  if (m.severity) actions.severity = m.severity;
  if (m.title.trim()) actions.title = m.title.trim();
  if (m.disposition === 'alarm') actions.reductionKey = m.reductionKey.trim();
  if (m.disposition === 'clear') actions.clearKey = m.clearKey.trim();
  if (notify && m.disposition === 'alarm') actions.notify = notify;
  if (m.continueAfter) actions.continue = true;
  return { kind: 'event', match, actions };
}

/** A one-line summary of what a rule matches, for the list. */
export function describeMatch(b: RuleBody): string {
  if (b.kind === 'threshold') {
    return `${b.metrics.join(', ')} ${b.op} ${b.value}${b.forPolls ? ` for ${b.forPolls} polls` : ''}${b.forSec ? ` for ${b.forSec}s` : ''}`;
  }
  const x = b.match;
  const parts: string[] = [];
  if (x.sources?.length) parts.push(x.sources.join('/'));
  if (x.types?.length) parts.push(`type ${x.types.join(' | ')}`);
  if (x.trapOid) parts.push(`trap ${x.trapOid}`);
  if (x.trapOidPrefix) parts.push(`trap ${x.trapOidPrefix}.*`);
  if (x.minSeverity) parts.push(`≥ ${x.minSeverity}`);
  if (x.syslog?.maxSeverity !== undefined) parts.push(`syslog ≤ ${SYSLOG_SEVERITY_NAMES[x.syslog.maxSeverity] ?? x.syslog.maxSeverity}`);
  if (x.syslog?.appName) parts.push(`app ${x.syslog.appName}`);
  if (x.syslog?.msgId) parts.push(`msgid ${x.syslog.msgId}`);
  if (x.message) parts.push(`message /${x.message}/${x.messageCaseInsensitive ? 'i' : ''}`);
  if (x.deviceIds?.length) parts.push(`${x.deviceIds.length} device(s)`);
  if (x.groups?.length) parts.push(`group ${x.groups.join(', ')}`);
  if (x.tags?.length) parts.push(`tag ${x.tags.join(', ')}`);
  if (x.varbinds?.length) parts.push(`${x.varbinds.length} varbind condition(s)`);
  if (x.rate) parts.push(`${x.rate.count} in ${x.rate.windowSec}s`);
  return parts.length ? parts.join(' · ') : 'every event';
}

/** A one-line summary of what a rule does. */
export function describeActions(b: RuleBody): string {
  if (b.kind === 'threshold') return `alarm ${b.severity}${b.notify?.channelIds.length ? ' · notify' : ''}`;
  const a = b.actions;
  const d = a.disposition ?? 'store';
  const parts: string[] = [
    d === 'alarm' ? `raise ${a.reductionKey ?? ''}` : d === 'clear' ? `clear ${a.clearKey ?? ''}` : d === 'drop' ? 'drop' : 'store only',
  ];
  if (a.severity) parts.push(`severity ${a.severity}`);
  if (a.notify?.channelIds.length) parts.push(`notify ${a.notify.channelIds.length} channel(s)`);
  if (a.continue) parts.push('continue');
  return parts.join(' · ');
}
