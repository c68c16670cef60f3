/**
 * Raise/clear rule proposals for the unmatched inbox. Pure: a trap OID and the
 * MIB dictionary (NOTIFICATION-TYPE / TRAP-TYPE nodes: names, OBJECTS,
 * DESCRIPTION), or a syslog type and a sample message, give one or two rules.
 */
import type { EventRuleBody, EventRuleMatch } from '../../contracts/alarms.js';
import type { Severity } from '../../contracts/events.js';
import type { InboxEntryDto, InboxProposal, ProposedRule } from '../../contracts/inbox.js';
import type { MibNode } from '../../contracts/mib.js';

/** What proposals need from the OID dictionary (server/mib/oid-dictionary.ts has these). */
export interface NotificationDirectory {
  node(oid: string): MibNode | undefined;
  children(oid: string): { oid: string }[];
  resolveName(name: string): { found: true; node: MibNode; oid: string } | { found: false };
}

/** Raise word -> clear words, as camelCase tokens of a notification name. */
const PAIR_WORDS: [string, string[]][] = [
  ['down', ['up']],
  ['fail', ['recover', 'recovered', 'recovery', 'restored', 'restore', 'ok', 'clear', 'cleared']],
  ['failure', ['recover', 'recovered', 'recovery', 'restored', 'restore', 'ok', 'clear', 'cleared']],
  ['failed', ['recovered', 'recover', 'restored', 'ok', 'clear', 'cleared']],
  ['lost', ['restored', 'regained', 'found', 'recovered']],
  ['loss', ['restored', 'regained', 'recovered']],
  ['disabled', ['enabled']],
  ['raise', ['clear']],
  ['raised', ['cleared']],
  ['rising', ['falling']],
  ['alarm', ['clear', 'cleared', 'normal']],
  ['exceeded', ['normal', 'cleared', 'ok']],
  ['dead', ['alive']],
  ['offline', ['online']],
  ['unreachable', ['reachable']],
  ['inactive', ['active']],
];
/** Whole-phrase pairs that are not one token (BGP4-MIB). */
const PAIR_PHRASES: [string, string][] = [
  ['BackwardTransition', 'Established'],
  ['BackwardTransNotification', 'EstablishedNotification'],
];

const RAISE = new Map<string, string[]>(PAIR_WORDS);
const CLEAR = new Map<string, string[]>();
for (const [r, cs] of PAIR_WORDS) for (const c of cs) CLEAR.set(c, [...(CLEAR.get(c) ?? []), r]);

/** `dlswTrapCircuitDown` -> [dlsw, Trap, Circuit, Down]. */
export function camelTokens(name: string): string[] {
  return name.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/).filter(Boolean);
}

const sameCase = (like: string, word: string) =>
  like === like.toUpperCase() && like.length > 1 ? word.toUpperCase() : like[0] === like[0]!.toUpperCase() ? word[0]!.toUpperCase() + word.slice(1) : word;

export interface NamePair {
  raise: string;
  clear: string;
}

/**
 * The partner of a notification name among `names`: `linkDown` -> linkUp,
 * `…Fail` -> `…Recover`, `entStateOperDisabled` -> entStateOperEnabled. Also
 * from the clear side (`linkUp` gives the same pair). Null when none is there.
 */
export function findNamePair(name: string, names: ReadonlySet<string>): NamePair | null {
  for (const [raise, clear] of PAIR_PHRASES) {
    if (name.includes(raise) && names.has(name.replace(raise, clear))) return { raise: name, clear: name.replace(raise, clear) };
    if (name.includes(clear) && names.has(name.replace(clear, raise))) return { raise: name.replace(clear, raise), clear: name };
  }
  const tokens = camelTokens(name);
  // Last tokens first: `…CircuitDown` pairs on Down, not on an earlier word.
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    const low = t.toLowerCase();
    const build = (w: string) => [...tokens.slice(0, i), sameCase(t, w), ...tokens.slice(i + 1)].join('');
    for (const c of RAISE.get(low) ?? []) {
      const other = build(c);
      if (other !== name && names.has(other)) return { raise: name, clear: other };
    }
    for (const r of CLEAR.get(low) ?? []) {
      const other = build(r);
      if (other !== name && names.has(other)) return { raise: other, clear: name };
    }
  }
  return null;
}

/** Whether a name reads as a clear (`…Up`, `…Recover`): a lone clear-side notification gets a clear rule only when paired. */
export function looksLikeClear(name: string): boolean {
  const t = camelTokens(name);
  const last = t.at(-1)?.toLowerCase() ?? '';
  return CLEAR.has(last) && !RAISE.has(last);
}

const NAME_OK = /^[A-Za-z][\w-]{0,127}$/;

/** The first OBJECT of a notification that is a table column: its instance suffix identifies the row (ifIndex, entPhysicalIndex …). */
export function indexObject(n: MibNode, dir: NotificationDirectory): string | null {
  for (const o of n.objects ?? []) {
    if (!NAME_OK.test(o)) continue;
    const r = dir.resolveName(`${n.module}::${o}`);
    const node = r.found ? r.node : (() => {
      const b = dir.resolveName(o);
      return b.found ? b.node : undefined;
    })();
    if (node?.kind === 'column') return o;
  }
  return null;
}

/** Reduction key of a trap alarm: one alarm per notification pair, device and table row (when the objects name one). */
export function trapReductionKey(base: string, indexName: string | null): string {
  return indexName ? `${base}:{deviceOrSource}:{instance.${indexName}}` : `${base}:{deviceOrSource}`;
}

/** A description as alarm text: the first sentence, whitespace folded, at most 200 characters. */
export function alarmText(description: string | null): string {
  if (!description) return '';
  const flat = description.replace(/\s+/g, ' ').trim();
  const dot = flat.search(/\.(\s|$)/);
  const first = dot > 0 ? flat.slice(0, dot + 1) : flat;
  return first.length > 200 ? `${first.slice(0, 197)}…` : first;
}

const trapRule = (name: string, description: string, match: EventRuleMatch, actions: EventRuleBody['actions']): ProposedRule => ({
  name: name.slice(0, 200),
  description: description.slice(0, 2000),
  enabled: true,
  body: { kind: 'event', match, actions },
});

/** Escapes text for a regular expression (the message rules use `safe-regex`). */
export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Title template text: braces in names or descriptions would read as variables. */
const plain = (s: string) => s.replace(/[{}]/g, '');

/** Proposal for a trap OID: a raise/clear pair from the MIB when the partner is a sibling notification, else one alarm rule. */
export function proposeForTrap(trapOid: string, severity: Severity, dir: NotificationDirectory | undefined): InboxProposal {
  const n = dir?.node(trapOid);
  if (!dir || !n || n.kind !== 'notification') {
    const key = `trap:${trapOid}:{deviceOrSource}`;
    return {
      kind: 'single',
      reason: `no NOTIFICATION-TYPE for ${trapOid} in the loaded MIBs: one alarm per device`,
      rules: [trapRule(`Trap ${trapOid}`, 'Proposed from the unmatched inbox.', { sources: ['trap'], trapOid }, { disposition: 'alarm', severity: sevOrWarning(severity), title: `{device.name}: trap ${trapOid}`, reductionKey: key })],
    };
  }
  const parent = n.oid.slice(0, n.oid.lastIndexOf('.'));
  const siblings = new Map<string, MibNode>();
  for (const c of dir.children(parent)) {
    const s = dir.node(c.oid);
    if (s && s.kind === 'notification' && s.module === n.module) siblings.set(s.name, s);
  }
  const pair = findNamePair(n.name, new Set(siblings.keys()));
  if (pair) {
    const raise = siblings.get(pair.raise)!;
    const clear = siblings.get(pair.clear)!;
    const base = `${raise.module}::${raise.name}`;
    const rIdx = indexObject(raise, dir);
    const cIdx = indexObject(clear, dir) ?? rIdx;
    const text = alarmText(raise.description);
    return {
      kind: 'mib-pair',
      reason: `${raise.module}::${raise.name} / ${clear.name}${rIdx ? `, row from ${rIdx}` : ''}`,
      rules: [
        trapRule(`${raise.name} (${raise.module})`, text || `${raise.module}::${raise.name}`, { sources: ['trap'], trapOid: raise.oid }, {
          disposition: 'alarm', severity: severity === 'info' || severity === 'debug' ? 'major' : severity,
          title: plain(`{device.name}: ${raise.name}${rIdx ? ` {instance.${rIdx}}` : ''}${text ? ` — ${text}` : ''}`).slice(0, 500) || raise.name,
          reductionKey: trapReductionKey(base, rIdx),
        }),
        trapRule(`${clear.name} (${clear.module})`, `Clears ${raise.name}. ${alarmText(clear.description)}`.trim(), { sources: ['trap'], trapOid: clear.oid }, {
          disposition: 'clear', severity: 'info', title: plain(`{device.name}: ${clear.name}${cIdx ? ` {instance.${cIdx}}` : ''}`),
          clearKey: trapReductionKey(base, cIdx),
        }),
      ],
    };
  }
  const idx = indexObject(n, dir);
  const text = alarmText(n.description);
  return {
    kind: 'mib-single',
    reason: `${n.module}::${n.name} has no partner notification: one alarm per device${idx ? ' and row' : ''}`,
    rules: [
      trapRule(`${n.name} (${n.module})`, text || `${n.module}::${n.name}`, { sources: ['trap'], trapOid: n.oid }, {
        disposition: 'alarm', severity: sevOrWarning(severity),
        title: plain(`{device.name}: ${n.name}${idx ? ` {instance.${idx}}` : ''}${text ? ` — ${text}` : ''}`).slice(0, 500),
        reductionKey: trapReductionKey(`${n.module}::${n.name}`, idx),
      }),
    ],
  };
}

const sevOrWarning = (s: Severity): Severity => (s === 'info' || s === 'debug' ? 'warning' : s);

/** `%LINK-3-UPDOWN:` style Cisco mnemonics as the syslog type: FACILITY-SEVERITY-MNEMONIC. */
const CISCO_TYPE = /^([A-Z0-9_]{1,40})-(\d)-([A-Z0-9_]{1,60})$/;
const STATE_CHANGE = /changed state to (down|up|administratively down)\b/i;
const INTERFACE = /\bInterface ([^\s,]{1,100})/;

/**
 * Proposal for a syslog type: `changed state to down`/`up` lines raise and
 * clear by interface; `%FAC-SEV-xxxDOWN` / `%FAC-SEV-xxxUP` mnemonics pair up;
 * anything else gets one alarm rule per device and type.
 */
export function proposeForSyslog(type: string, sampleMessage: string, severity: Severity): InboxProposal {
  const typeMatch: EventRuleMatch = { sources: ['syslog'], types: [type] };
  const cisco = CISCO_TYPE.exec(type);
  const label = cisco ? `%${type}` : type;
  const sev = severity === 'info' || severity === 'debug' || severity === 'warning' ? 'major' : severity;
  if (STATE_CHANGE.test(sampleMessage)) {
    const iface = INTERFACE.test(sampleMessage);
    const key = `${cisco ? cisco[1] : 'syslog'}:${label}:{deviceOrSource}${iface ? ':{ifName}' : ''}`;
    const msg = (state: string) => `${iface ? 'Interface (?<ifName>[^\\s,]+).*' : ''}changed state to ${state}`;
    return {
      kind: 'syslog-pair',
      reason: `"changed state to down" / "up" in ${label}${iface ? ', one alarm per interface' : ''}`,
      rules: [
        { name: `${label} down`.slice(0, 200), description: 'Proposed from the unmatched inbox (state change to down).', enabled: true, body: { kind: 'event', match: { ...typeMatch, message: msg('down') }, actions: { disposition: 'alarm', severity: sev, title: `{device.name}: ${plain(label)}${iface ? ' {ifName}' : ''} down`, reductionKey: key } } },
        { name: `${label} up`.slice(0, 200), description: 'Clears the "down" alarm of the same object.', enabled: true, body: { kind: 'event', match: { ...typeMatch, message: msg('up') }, actions: { disposition: 'clear', severity: 'info', title: `{device.name}: ${plain(label)}${iface ? ' {ifName}' : ''} up`, clearKey: key } } },
      ],
    };
  }
  if (cisco) {
    const [, fac, , mnemonic] = cisco;
    const m = /^(.*?)(DOWN|UP)$/.exec(mnemonic!);
    if (m && !(m[2] === 'DOWN' && m[1]!.endsWith('UP'))) {
      const stem = m[1]!;
      // The other side may log at another severity: matched by message prefix, any severity digit.
      const re = (word: string) => `%${escapeRegex(fac!)}-\\d-${escapeRegex(stem + word)}:`;
      const key = `${fac}:${fac}-${stem}DOWN:{deviceOrSource}`;
      return {
        kind: 'syslog-pair',
        reason: `%${fac}-…-${stem}DOWN / %${fac}-…-${stem}UP mnemonics`,
        rules: [
          { name: `%${fac}-${stem}DOWN`, description: 'Proposed from the unmatched inbox (…DOWN / …UP mnemonics).', enabled: true, body: { kind: 'event', match: { sources: ['syslog'], message: re('DOWN') }, actions: { disposition: 'alarm', severity: sev, title: `{device.name}: %${fac}-${stem}DOWN`, reductionKey: key } } },
          { name: `%${fac}-${stem}UP`, description: `Clears %${fac}-${stem}DOWN.`, enabled: true, body: { kind: 'event', match: { sources: ['syslog'], message: re('UP') }, actions: { disposition: 'clear', severity: 'info', title: `{device.name}: %${fac}-${stem}UP`, clearKey: key } } },
        ],
      };
    }
  }
  return {
    kind: 'single',
    reason: `no up/down pattern in ${label}: one alarm per device`,
    rules: [
      { name: label.slice(0, 200), description: 'Proposed from the unmatched inbox.', enabled: true, body: { kind: 'event', match: typeMatch, actions: { disposition: 'alarm', severity: sevOrWarning(severity), title: `{device.name}: ${plain(label).slice(0, 300)}`, reductionKey: `syslog:{deviceOrSource}:{type}` } } },
    ],
  };
}

/** The proposal for an inbox entry. */
export function proposeForEntry(e: Pick<InboxEntryDto, 'source' | 'type' | 'sample'>, dir: NotificationDirectory | undefined): InboxProposal {
  if (e.source === 'trap') return proposeForTrap(e.type, e.sample.severity, dir);
  return proposeForSyslog(e.type, e.sample.message, e.sample.severity);
}
