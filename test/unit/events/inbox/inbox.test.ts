import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent, StoredEvent } from '../../../../server/contracts/events.js';
import { compileEventRule, type Decision } from '../../../../server/events/engine/rule-compiler.js';
import { EventContext } from '../../../../server/events/engine/event-context.js';
import { InboxCollector } from '../../../../server/events/inbox/inbox-collector.js';
import { identifyingSdPaths, ruleFromEvent, type OidNamer } from '../../../../server/events/inbox/rule-from-event.js';
import { MIGRATIONS_DIR } from '../../../../server/paths.js';
import { openDatabase } from '../../../../server/store/database.js';
import { InboxRepository } from '../../../../server/store/inbox.repository.js';
import { migrate, readMigrations } from '../../../../server/store/migrate.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ev = (over: Partial<StoredEvent>): StoredEvent => ({
  id: 1, receivedAt: 1_000, reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'warning', type: 'app', message: 'm', params: {}, ...over,
});

function decide(e: StoredEvent, namer?: OidNamer): { rule: ReturnType<typeof ruleFromEvent>; d: Decision | null } {
  const rule = ruleFromEvent(e, namer, 'sw1');
  const compiled = compileEventRule(1, 'r', rule.body);
  const ctx = new EventContext({ ...e, params: { ...e.params } }, { id: 9, name: 'sw1', address: '192.0.2.1', group: null, tags: [] });
  if (!compiled.test(ctx)) return { rule, d: null };
  const d: Decision = { disposition: 'store', ruleId: null, reductionKey: null, clearKey: null, notify: null };
  compiled.apply(ctx, d);
  return { rule, d };
}

describe('Make a rule from an event', () => {
  it('a trap without MIB names: trap OID match, the ifTable varbind row as reduction key, the event severity', () => {
    const e = ev({
      source: 'trap', type: '1.3.6.1.4.1.9.9.41.2.0.1', severity: 'minor',
      params: { trapOid: '1.3.6.1.4.1.9.9.41.2.0.1', varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', value: 5 }, { oid: '1.3.6.1.6.3.1.1.4.1.0', value: '1.3.6.1.4.1.9.9.41.2.0.1' }, { oid: '1.3.6.1.2.1.2.2.1.8.12', value: 2 }] },
    });
    const { rule, d } = decide(e);
    expect(rule.body.match).toEqual({ sources: ['trap'], trapOid: '1.3.6.1.4.1.9.9.41.2.0.1' });
    expect(rule.body.actions).toMatchObject({ disposition: 'alarm', severity: 'minor', reductionKey: '1.3.6.1.4.1.9.9.41.2.0.1:{deviceOrSource}:{instance.ifOperStatus}' });
    expect(d?.reductionKey).toBe('1.3.6.1.4.1.9.9.41.2.0.1:9:12');
  });

  it('a trap with a MIB column varbind (entPhysicalIndex row) keys by that row', () => {
    const namer: OidNamer = {
      resolve: (oid) =>
        oid.startsWith('1.3.6.1.2.1.47.1.1.1.1.7.')
          ? { node: { oid: '1.3.6.1.2.1.47.1.1.1.1.7', name: 'entPhysicalName', module: 'ENTITY-MIB', kind: 'column' } as never, instance: oid.slice(25) }
          : { node: null, instance: '' },
    };
    const e = ev({ source: 'trap', type: '1.3.6.1.4.1.99.0.1', params: { trapOid: '1.3.6.1.4.1.99.0.1', varbinds: [{ oid: '1.3.6.1.2.1.47.1.1.1.1.7.1001', value: 'PSU 1' }] } });
    expect(ruleFromEvent(e, namer, null).body.actions.reductionKey).toBe('1.3.6.1.4.1.99.0.1:{deviceOrSource}:{instance.entPhysicalName}');
  });

  it('a Cisco syslog line: the mnemonic as type, the interface as reduction key', () => {
    const { rule, d } = decide(ev({ type: 'LINEPROTO-5-UPDOWN', message: '%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/2, changed state to down' }));
    expect(rule.name).toBe('%LINEPROTO-5-UPDOWN');
    expect(rule.body.match.types).toEqual(['LINEPROTO-5-UPDOWN']);
    expect(d?.reductionKey).toBe('syslog:%LINEPROTO-5-UPDOWN:9:Gi0/2');
  });

  it('RFC 5424 structured data: identifying SD params join the key; prototype names stay data', () => {
    const sd = Object.create(null) as Record<string, Record<string, string>>;
    sd['port@32473'] = Object.assign(Object.create(null), { portName: 'eth7', text: 'x' });
    sd.__proto__ = Object.assign(Object.create(null), { constructor: 'c', id: 'evil' });
    const params = JSON.parse(JSON.stringify({ structuredData: { 'port@32473': { portName: 'eth7', text: 'x' } } }));
    // A JSON `__proto__` key is an own property after JSON.parse, as it is in stored params.
    params.structuredData = JSON.parse('{"port@32473":{"portName":"eth7","text":"x"},"__proto__":{"constructor":"c","id":"evil"}}');
    const e = ev({ type: 'portd', params });
    expect(identifyingSdPaths(e)).toEqual(['params.structuredData.port@32473.portName', 'params.structuredData.__proto__.id']);
    const { d } = decide(e);
    expect(d?.reductionKey).toBe('syslog:portd:9:eth7:evil');
    expect(({} as Record<string, unknown>).id).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('id');
  });

  it('hostile varbinds (prototype names, null, strings, a huge OID) are skipped, never a crash or a polluted prototype', () => {
    const varbinds = JSON.parse(
      `[null, "x", {"oid": "__proto__", "value": 1}, {"__proto__": {"oid": "1.3.6.1.2.1.2.2.1.8.5"}}, {"oid": "${'1.'.repeat(5000)}1", "value": 2}, {"oid": "1.3.6.1.2.1.2.2.1.8.7", "value": 1}]`,
    );
    const e = ev({ source: 'trap', type: '1.3.6.1.4.1.5.0.1', params: { trapOid: '1.3.6.1.4.1.5.0.1', varbinds } });
    const { rule, d } = decide(e);
    expect(rule.body.actions.reductionKey).toBe('1.3.6.1.4.1.5.0.1:{deviceOrSource}:{instance.ifOperStatus}');
    expect(d?.reductionKey).toBe('1.3.6.1.4.1.5.0.1:9:7');
    expect(Object.prototype).not.toHaveProperty('oid');
  });

  it('regex metacharacters in a mnemonic/app name are matched exactly', () => {
    const type = 'a.*(b|c)+[d]';
    expect(decide(ev({ type })).d?.disposition).toBe('alarm');
    expect(decide(ev({ type })).rule.body.match.types).toEqual([type]);
    const other = ruleFromEvent(ev({ type }), undefined, null);
    const c = compileEventRule(1, 'r', other.body);
    expect(c.test(new EventContext(ev({ type: 'aXXbd' }), undefined))).toBe(false);
  });
});

describe('the inbox collector and table', () => {
  const e = (type: string, over: Partial<NormalizedEvent> = {}): NormalizedEvent => ({ receivedAt: 1_000, reportedAt: null, source: 'trap', sourceAddress: '192.0.2.1', deviceId: null, severity: 'info', type, message: 'x', params: {}, ...over });

  it('aggregates by source and type in a Map, bounded with a counted overflow; prototype names are ordinary types', () => {
    const c = new InboxCollector({ maxKeys: 3 });
    for (const t of ['__proto__', 'constructor', '__proto__']) c.note(e(t), undefined);
    c.note(e('toString', { receivedAt: 2_000, deviceId: 4 }), 'r1');
    c.note(e('hasOwnProperty'), undefined);
    expect(c.stats.overflow).toBe(1);
    const out = c.drain();
    expect(out.map((d) => [d.type, d.count])).toEqual([['__proto__', 2], ['constructor', 1], ['toString', 1]]);
    expect(out[2]!.devices).toEqual([{ id: 4, name: 'r1' }]);
    expect(c.size).toBe(0);
  });

  it('keeps a huge message and huge params bounded in the sample', () => {
    const c = new InboxCollector();
    const big = 'x'.repeat(100_000);
    c.note(e('t', { message: big, params: { trapOid: '1.2.3', varbinds: Array.from({ length: 500 }, (_, i) => ({ oid: `1.2.${i}`, value: big })) } }), undefined);
    const [d] = c.drain();
    expect(d!.sample.message.length).toBe(2000);
    expect(JSON.stringify(d!.sample.params).length).toBeLessThan(20_000);
    expect(d!.sample.params.sampleTruncated).toBe(true);
  });

  it('upserts batches: counts add up, devices merge, accepted types return when unmatched again, dismissed ones after the quiet period, new types stop at maxRows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-inbox-'));
    dirs.push(dir);
    const db = openDatabase(join(dir, 'n.db'));
    migrate(db, readMigrations(MIGRATIONS_DIR));
    const repo = new InboxRepository(db);
    const c = new InboxCollector();
    const opts = { maxRows: 2, dismissMs: 1000 };
    c.note(e('1.3.6.1.4.1.1.0.1', { receivedAt: 1_000 }), undefined);
    c.note(e('1.3.6.1.4.1.1.0.1', { receivedAt: 1_500, sourceAddress: '192.0.2.2' }), undefined);
    expect(repo.apply(c.drain(), opts)).toBe(0);
    c.note(e('1.3.6.1.4.1.1.0.1', { receivedAt: 2_000, sourceAddress: '192.0.2.2' }), undefined);
    c.note(e('b', { receivedAt: 2_000 }), undefined);
    c.note(e('c', { receivedAt: 2_000 }), undefined);
    expect(repo.apply(c.drain(), opts)).toBe(1);
    const [first] = repo.list({ limit: 10, all: true }).filter((x) => x.type === '1.3.6.1.4.1.1.0.1');
    expect(first).toMatchObject({ count: 3, firstSeen: 1_000, lastSeen: 2_000, deviceCount: 2, state: 'new' });
    expect(first!.devices).toEqual([{ address: '192.0.2.1' }, { address: '192.0.2.2' }]);

    repo.mark(first!.id, 'dismissed', 'admin', [], 2_000);
    c.note(e('1.3.6.1.4.1.1.0.1', { receivedAt: 2_500 }), undefined);
    repo.apply(c.drain(), opts);
    expect(repo.get(first!.id)!.state).toBe('dismissed');
    expect(repo.list({ limit: 10 }).map((x) => x.type)).toEqual(['b']);
    c.note(e('1.3.6.1.4.1.1.0.1', { receivedAt: 3_000 }), undefined);
    repo.apply(c.drain(), opts);
    expect(repo.get(first!.id)!.state).toBe('new');

    repo.mark(first!.id, 'accepted', 'admin', [5, 6]);
    expect(repo.get(first!.id)).toMatchObject({ state: 'accepted', ruleIds: [5, 6], stateBy: 'admin' });
    c.note(e('1.3.6.1.4.1.1.0.1', { receivedAt: 4_000 }), undefined);
    repo.apply(c.drain(), opts);
    expect(repo.get(first!.id)!.state).toBe('new');
    db.close();
  });
});
