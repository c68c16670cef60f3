import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMibs } from '../../../../server/mib/mib.loader.js';
import { OidDictionary } from '../../../../server/mib/oid-dictionary.js';
import { MIBS_DIR } from '../../../../server/paths.js';
import { compileEventRule } from '../../../../server/events/engine/rule-compiler.js';
import { EventContext } from '../../../../server/events/engine/event-context.js';
import { alarmText, camelTokens, findNamePair, proposeForSyslog, proposeForTrap, type NotificationDirectory } from '../../../../server/events/inbox/proposals.js';
import type { NormalizedEvent } from '../../../../server/contracts/events.js';
import type { Decision } from '../../../../server/events/engine/rule-compiler.js';

// Real MIB modules: the shipped base (IF-MIB) and the IETF modules net-snmp installs
// (ENTITY-MIB, ENTITY-STATE-MIB, BGP4-MIB), each linked into a temp dir with what they import.
const IETF = '/usr/share/snmp/mibs/ietf';
const MODULES = ['ENTITY-MIB', 'ENTITY-STATE-MIB', 'ENTITY-STATE-TC-MIB', 'BGP4-MIB', 'UUID-TC-MIB', 'SNMP-FRAMEWORK-MIB', 'IANA-ENTITY-MIB'];

let dir: string;
let dict: OidDictionary;
let mibDir: NotificationDirectory;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netwatch-proposals-'));
  const extra = join(dir, 'extra');
  mkdirSync(extra);
  for (const m of MODULES) {
    for (const base of [IETF, '/usr/share/snmp/mibs/iana']) {
      try {
        symlinkSync(join(base, m), join(extra, m));
        break;
      } catch {
        // not in this folder
      }
    }
  }
  const r = loadMibs({ projectDir: MIBS_DIR, uploadDir: join(dir, 'up'), systemDirs: [], extraDirs: [extra], indexPath: join(dir, 'i.json') });
  dict = new OidDictionary(r.modules, r.infos);
  mibDir = {
    node: (o) => dict.node(o),
    children: (o) => dict.children(o),
    resolveName: (n) => {
      const x = dict.resolveName(n);
      return x.found ? { found: true, node: x.node, oid: x.oid } : { found: false };
    },
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const oidOf = (name: string) => {
  const r = dict.resolveName(name);
  if (!r.found) throw new Error(`${name} not loaded`);
  return r.oid;
};

function decide(body: ReturnType<typeof proposeForTrap>['rules'][number]['body'], e: NormalizedEvent): Decision | null {
  const rule = compileEventRule(1, 'p', body, (n) => {
    const r = dict.resolveName(n);
    return r.found ? r.oid : undefined;
  });
  const ctx = new EventContext(e, { id: 7, name: 'sw1', address: '127.0.0.1', group: null, tags: [] }, (n) => {
    const r = dict.resolveName(n);
    return r.found ? r.oid : undefined;
  });
  if (!rule.test(ctx)) return null;
  const d: Decision = { disposition: 'store', ruleId: null, reductionKey: null, clearKey: null, notify: null };
  rule.apply(ctx, d);
  return d;
}

const trap = (trapOid: string, varbinds: { oid: string; value: unknown }[]): NormalizedEvent => ({
  receivedAt: Date.now(), reportedAt: null, source: 'trap', sourceAddress: '127.0.0.1', deviceId: 7, severity: 'info', type: trapOid, message: 't',
  params: { trapOid, varbinds: [{ oid: '1.3.6.1.6.3.1.1.4.1.0', type: 'OID', value: trapOid }, ...varbinds.map((v) => ({ ...v, type: 'Integer' }))] },
});

describe('notification name pairs', () => {
  it('splits camelCase names into words', () => {
    expect(camelTokens('dlswTrapCircuitDown')).toEqual(['dlsw', 'Trap', 'Circuit', 'Down']);
    expect(camelTokens('entStateOperDisabled')).toEqual(['ent', 'State', 'Oper', 'Disabled']);
  });

  it('pairs …Down/…Up, …Fail/…Recover, …Disabled/…Enabled from either side, and nothing else', () => {
    const names = new Set(['linkDown', 'linkUp', 'psuFail', 'psuRecover', 'fanFailure', 'fanRestored', 'entStateOperDisabled', 'entStateOperEnabled', 'coldStart']);
    expect(findNamePair('linkDown', names)).toEqual({ raise: 'linkDown', clear: 'linkUp' });
    expect(findNamePair('linkUp', names)).toEqual({ raise: 'linkDown', clear: 'linkUp' });
    expect(findNamePair('psuFail', names)).toEqual({ raise: 'psuFail', clear: 'psuRecover' });
    expect(findNamePair('fanRestored', names)).toEqual({ raise: 'fanFailure', clear: 'fanRestored' });
    expect(findNamePair('entStateOperEnabled', names)).toEqual({ raise: 'entStateOperDisabled', clear: 'entStateOperEnabled' });
    expect(findNamePair('coldStart', names)).toBeNull();
  });

  it('takes the first sentence of a DESCRIPTION as alarm text', () => {
    expect(alarmText('A linkDown trap signifies that the SNMP entity,\n   acting in an agent role, has detected. More text.')).toBe('A linkDown trap signifies that the SNMP entity, acting in an agent role, has detected.');
  });
});

describe('trap proposals from real MIB modules', () => {
  it('IF-MIB linkDown: linkDown/linkUp pair keyed by the ifIndex row, DESCRIPTION as alarm text', () => {
    const p = proposeForTrap(oidOf('IF-MIB::linkDown'), 'info', mibDir);
    expect(p.kind).toBe('mib-pair');
    const [raise, clear] = p.rules;
    expect(raise!.body.match.trapOid).toBe('1.3.6.1.6.3.1.1.5.3');
    expect(clear!.body.match.trapOid).toBe('1.3.6.1.6.3.1.1.5.4');
    expect(raise!.body.actions).toMatchObject({ disposition: 'alarm', reductionKey: 'IF-MIB::linkDown:{deviceOrSource}:{instance.ifIndex}' });
    expect(clear!.body.actions).toMatchObject({ disposition: 'clear', clearKey: 'IF-MIB::linkDown:{deviceOrSource}:{instance.ifIndex}' });
    expect(raise!.body.actions.title).toContain('A linkDown trap signifies');
    // The pair works on real varbinds: raise and clear of ifIndex 3 meet on one key.
    const down = decide(raise!.body, trap('1.3.6.1.6.3.1.1.5.3', [{ oid: '1.3.6.1.2.1.2.2.1.1.3', value: 3 }, { oid: '1.3.6.1.2.1.2.2.1.8.3', value: 2 }]));
    const up = decide(clear!.body, trap('1.3.6.1.6.3.1.1.5.4', [{ oid: '1.3.6.1.2.1.2.2.1.1.3', value: 3 }, { oid: '1.3.6.1.2.1.2.2.1.8.3', value: 1 }]));
    expect(down).toMatchObject({ disposition: 'alarm', reductionKey: 'IF-MIB::linkDown:7:3' });
    expect(up).toMatchObject({ disposition: 'clear', clearKey: 'IF-MIB::linkDown:7:3' });
  });

  it('ENTITY-STATE-MIB entStateOperEnabled (the clear side) gives the Disabled/Enabled pair keyed by the entPhysicalIndex row', () => {
    const p = proposeForTrap(oidOf('ENTITY-STATE-MIB::entStateOperEnabled'), 'info', mibDir);
    expect(p.kind).toBe('mib-pair');
    expect(p.rules[0]!.name).toBe('entStateOperDisabled (ENTITY-STATE-MIB)');
    expect(p.rules[0]!.body.actions.reductionKey).toBe('ENTITY-STATE-MIB::entStateOperDisabled:{deviceOrSource}:{instance.entStateAdmin}');
    const adminOid = oidOf('ENTITY-STATE-MIB::entStateAdmin');
    const d = decide(p.rules[0]!.body, trap(oidOf('ENTITY-STATE-MIB::entStateOperDisabled'), [{ oid: `${adminOid}.1001`, value: 4 }]));
    expect(d?.reductionKey).toBe('ENTITY-STATE-MIB::entStateOperDisabled:7:1001');
  });

  it('BGP4-MIB backward transition / established pair up (a phrase, not one word)', () => {
    const bgp = proposeForTrap(oidOf('BGP4-MIB::bgpEstablishedNotification'), 'info', mibDir);
    expect(bgp.kind).toBe('mib-pair');
    expect(bgp.rules[0]!.body.match.trapOid).toBe(oidOf('BGP4-MIB::bgpBackwardTransNotification'));
  });

  it('a notification without a partner (ENTITY-MIB entConfigChange) gets one alarm rule; an unknown OID gets one per device', () => {
    const single = proposeForTrap(oidOf('ENTITY-MIB::entConfigChange'), 'info', mibDir);
    expect(single.kind).toBe('mib-single');
    expect(single.rules).toHaveLength(1);
    const unknown = proposeForTrap('1.3.6.1.4.1.99999.0.1', 'info', mibDir);
    expect(unknown.kind).toBe('single');
    expect(unknown.rules[0]!.body.actions.reductionKey).toBe('trap:1.3.6.1.4.1.99999.0.1:{deviceOrSource}');
  });
});

describe('syslog proposals', () => {
  const syslog = (type: string, message: string): NormalizedEvent => ({
    receivedAt: Date.now(), reportedAt: null, source: 'syslog', sourceAddress: '127.0.0.1', deviceId: 7, severity: 'info', type, message, params: {},
  });

  it('"changed state to down/up" raises and clears by interface', () => {
    const p = proposeForSyslog('LINEPROTO-5-UPDOWN', '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to down', 'info');
    expect(p.kind).toBe('syslog-pair');
    const down = decide(p.rules[0]!.body, syslog('LINEPROTO-5-UPDOWN', '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to down'));
    const up = decide(p.rules[1]!.body, syslog('LINEPROTO-5-UPDOWN', '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to up'));
    expect(down?.reductionKey).toBe('LINEPROTO:%LINEPROTO-5-UPDOWN:7:Gi0/1');
    expect(up?.clearKey).toBe(down?.reductionKey);
    expect(decide(p.rules[0]!.body, syslog('LINEPROTO-5-UPDOWN', '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to up'))).toBeNull();
  });

  it('%FAC-SEV-xxxDOWN / %FAC-SEV-xxxUP mnemonics pair, whatever severity each side logs at', () => {
    const p = proposeForSyslog('BFD-6-SESSIONDOWN', '%BFD-6-SESSIONDOWN: neighbor 10.0.0.2', 'info');
    expect(p.kind).toBe('syslog-pair');
    const down = decide(p.rules[0]!.body, syslog('BFD-6-SESSIONDOWN', '%BFD-6-SESSIONDOWN: neighbor 10.0.0.2'));
    const up = decide(p.rules[1]!.body, syslog('BFD-5-SESSIONUP', '%BFD-5-SESSIONUP: neighbor 10.0.0.2'));
    expect(down?.disposition).toBe('alarm');
    expect(up?.clearKey).toBe(down?.reductionKey);
  });

  it('regex metacharacters in a type are data: exact type match, no pattern built from it', () => {
    const type = 'app.(x+)*[y]{2}$^|\\';
    const p = proposeForSyslog(type, 'something happened', 'warning');
    expect(p.kind).toBe('single');
    expect(p.rules[0]!.body.match.types).toEqual([type]);
    expect(decide(p.rules[0]!.body, syslog(type, 'x'))?.disposition).toBe('alarm');
    expect(decide(p.rules[0]!.body, syslog('appx', 'x'))).toBeNull();
  });
});
