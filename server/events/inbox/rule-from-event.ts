/**
 * "Make a rule" from one stored event (pure): the event's source and type
 * (trap OID, or syslog mnemonic / MSGID / app name), the varbinds or
 * structured-data fields that name the object as the reduction key, its
 * severity. The console shows it with a 24 h dry run before it is saved.
 */
import type { EventRuleMatch } from '../../contracts/alarms.js';
import type { StoredEvent } from '../../contracts/events.js';
import type { ProposedRule } from '../../contracts/inbox.js';
import type { MibNode } from '../../contracts/mib.js';
import { own } from '../engine/own.js';
import { varbindsOf } from '../engine/event-context.js';

/** What rule-from-event needs from the OID dictionary. */
export interface OidNamer {
  resolve(oid: string): { node: MibNode | null; instance: string };
}

/** Varbinds every SNMPv2 trap carries (sysUpTime, snmpTrapOID, snmpTrapAddress, community, enterprise): never the object. */
const TRAP_HEADER = /^1\.3\.6\.1\.(2\.1\.1\.3|6\.3\.1\.1\.4\.[1-4]|6\.3\.18\.1\.[34])(\.|$)/;
/** The varbind names the engine knows without MIBs (event-context WELL_KNOWN_OIDS): ifIndex and the ifTable columns. */
const IF_COLUMNS = new Map<string, string>([
  ['1.3.6.1.2.1.2.2.1.1', 'ifIndex'],
  ['1.3.6.1.2.1.2.2.1.2', 'ifDescr'],
  ['1.3.6.1.2.1.2.2.1.7', 'ifAdminStatus'],
  ['1.3.6.1.2.1.2.2.1.8', 'ifOperStatus'],
  ['1.3.6.1.2.1.31.1.1.1.1', 'ifName'],
]);
/** Names safe inside a `{…}` template variable (no dots, braces or spaces). */
const SAFE_NAME = /^[A-Za-z_][\w@-]{0,63}$/;
/** SD-PARAM names that identify an object (interface, port, index, peer, …) rather than describe it. */
const ID_PARAM = /(^|[-_.]|[a-z])(if|ifindex|ifname|interface|port|index|idx|id|name|object|entity|slot|module|unit|peer|neighbou?r|disk|volume|device|component|resource|instance|vlan|tunnel|session|link)$/i;
const INTERFACE = /\bInterface ([^\s,]{1,100})/;

const stripDot = (o: string) => (o.startsWith('.') ? o.slice(1) : o);

/** The first varbind that is a table column instance: its column name (from the MIB) and the row suffix. */
export function objectVarbind(e: StoredEvent, namer: OidNamer | undefined): { name: string; instance: string } | null {
  for (const vb of varbindsOf(e)) {
    const oidText = own(vb, 'oid');
    if (typeof oidText !== 'string') continue;
    const oid = stripDot(oidText);
    if (TRAP_HEADER.test(oid)) continue;
    const r = namer?.resolve(oid);
    if (r?.node && r.node.kind === 'column' && r.instance && r.instance !== '0' && SAFE_NAME.test(r.node.name)) return { name: r.node.name, instance: r.instance };
    for (const [col, name] of IF_COLUMNS) {
      if (oid.length > col.length && oid.startsWith(col) && oid.charCodeAt(col.length) === 46) return { name, instance: oid.slice(col.length + 1) };
    }
  }
  return null;
}

/** Structured-data params that name an object, as `params.structuredData.<id>.<param>` paths (at most three). */
export function identifyingSdPaths(e: StoredEvent): string[] {
  const sd = own(e.params, 'structuredData');
  if (!sd || typeof sd !== 'object' || Array.isArray(sd)) return [];
  const out: string[] = [];
  for (const id of Object.keys(sd)) {
    if (!SAFE_NAME.test(id)) continue;
    const ps = own(sd, id);
    if (!ps || typeof ps !== 'object' || Array.isArray(ps)) continue;
    for (const name of Object.keys(ps)) {
      if (out.length >= 3) return out;
      if (!SAFE_NAME.test(name) || !ID_PARAM.test(name)) continue;
      const v = own(ps, name);
      if (typeof v === 'string' || typeof v === 'number') out.push(`params.structuredData.${id}.${name}`);
    }
  }
  return out;
}

const plain = (s: string) => s.replace(/[{}]/g, '').slice(0, 200);

export function ruleFromEvent(e: StoredEvent, namer: OidNamer | undefined, deviceName: string | null): ProposedRule {
  const severity = e.severity;
  const where = deviceName ? ` (made from an event of ${plain(deviceName)})` : '';
  if (e.source === 'trap') {
    const trapOid = typeof own(e.params, 'trapOid') === 'string' ? stripDot(own(e.params, 'trapOid') as string) : e.type;
    const n = namer?.resolve(trapOid);
    const named = n?.node && n.instance === '' ? `${n.node.module}::${n.node.name}` : null;
    const label = named ?? trapOid;
    const obj = objectVarbind(e, namer);
    const reductionKey = `${label}:{deviceOrSource}${obj ? `:{instance.${obj.name}}` : ''}`;
    const match: EventRuleMatch = { sources: ['trap'], trapOid };
    return {
      name: plain(`${named ? n!.node!.name : `Trap ${trapOid}`}`),
      description: `Trap ${label}${obj ? `, one alarm per ${obj.name} row` : ''}${where}.`,
      enabled: true,
      body: { kind: 'event', match, actions: { disposition: 'alarm', severity, title: `{device.name}: ${plain(named ? n!.node!.name : trapOid)}${obj ? ` {instance.${obj.name}}` : ''}`, reductionKey } },
    };
  }
  if (e.source === 'syslog') {
    const match: EventRuleMatch = { sources: ['syslog'], types: [e.type] };
    const cisco = /^[A-Z0-9_]{1,40}-\d-[A-Z0-9_]{1,60}$/.test(e.type);
    const label = cisco ? `%${e.type}` : e.type;
    const parts: string[] = [];
    const iface = INTERFACE.exec(e.message);
    if (iface) {
      match.message = 'Interface (?<ifName>[^\\s,]+)';
      parts.push('{ifName}');
    }
    for (const p of identifyingSdPaths(e)) parts.push(`{${p}}`);
    const reductionKey = `syslog:${plain(label)}:{deviceOrSource}${parts.map((p) => `:${p}`).join('')}`;
    return {
      name: plain(label),
      description: `Syslog ${plain(label)}${parts.length ? `, one alarm per ${parts.join(' ')}` : ''}${where}.`,
      enabled: true,
      body: { kind: 'event', match, actions: { disposition: 'alarm', severity, title: `{device.name}: ${plain(label)}${iface ? ' {ifName}' : ''}`, reductionKey } },
    };
  }
  // Poller, system and Alertmanager events: by source and type.
  return {
    name: plain(e.type),
    description: `Events of type ${plain(e.type)}${where}.`,
    enabled: true,
    body: { kind: 'event', match: { sources: [e.source], types: [e.type] }, actions: { disposition: 'alarm', severity, title: `{device.name}: ${plain(e.type)}`, reductionKey: `${plain(e.source)}:{deviceOrSource}:{type}` } },
  };
}
