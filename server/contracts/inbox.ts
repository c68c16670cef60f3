/** Issue 17: "Make a rule" from an event and the unmatched inbox (types shared with the console). */
import type { EventRuleBody } from './alarms.js';
import type { Severity } from './events.js';

export type InboxState = 'new' | 'dismissed' | 'accepted';

/** A device that sent an unmatched event: a known device, or a source address. */
export interface InboxDevice {
  id?: number;
  name?: string;
  address?: string;
}

export interface InboxSample {
  message: string;
  severity: Severity;
  sourceAddress: string | null;
  deviceId: number | null;
  params: Record<string, unknown>;
}

/** GET /inbox item: one event type no rule matched. */
export interface InboxEntryDto {
  id: number;
  source: string;
  /** Trap OID, or the syslog type (Cisco mnemonic `FAC-SEV-MNEMONIC`, MSGID or app name). */
  type: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** Up to 20 of the senders; deviceCount counts all. */
  devices: InboxDevice[];
  deviceCount: number;
  sample: InboxSample;
  state: InboxState;
  stateAt: number | null;
  stateBy: string | null;
  /** Rules made when it was accepted. */
  ruleIds: number[];
  /** The proposal's rules as edited (PUT /inbox/:id/proposal), or null. */
  editedRules: ProposedRule[] | null;
}

/** A proposed rule (the body of POST /rules, without position). */
export interface ProposedRule {
  name: string;
  description: string;
  enabled: boolean;
  body: EventRuleBody;
}

/** Where a proposal came from: a raise/clear pair named in a MIB or a syslog up/down pattern, or the type alone. */
export type ProposalKind = 'mib-pair' | 'mib-single' | 'syslog-pair' | 'single';

export interface InboxProposal {
  kind: ProposalKind;
  /** The rules are the edited ones (PUT /inbox/:id/proposal), not the computed ones. */
  edited?: true;
  /** Why (e.g. "IF-MIB::linkDown / linkUp"). */
  reason: string;
  rules: ProposedRule[];
}

export interface InboxEntryWithProposal extends InboxEntryDto {
  /** Name from the MIBs for a trap OID (`IF-MIB::linkDown`), when known. */
  name: string | null;
  proposal: InboxProposal;
}

/** Figures of a rule over a time window of stored events (POST /rules/from-event, POST /rules/test with windowHours). */
export interface RuleWindowDryRun {
  from: number;
  to: number;
  /** Stored events read (of the rule's sources and types when it names them). */
  evaluated: number;
  matched: number;
  /** Alarms it would raise: distinct reduction keys of matching alarm events. */
  alarms: number;
  /** Matching events that would clear (clear disposition). */
  clears: number;
  /** Stopped at the event budget before the start of the window. */
  truncated: boolean;
  /** A few matching events, newest first. */
  samples: { eventId: number; receivedAt: number; message: string; reductionKey: string | null; clearKey: string | null }[];
}

export interface RuleFromEventResult {
  eventId: number;
  rule: ProposedRule;
  dryRun: RuleWindowDryRun;
}
