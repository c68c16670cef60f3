import { beforeAll, describe, expect, it } from 'vitest';
import { parseSyslog } from '../../../server/collectors/syslog/syslog.parser.js';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { EventRepository } from '../../../server/store/event.repository.js';
import { compileEventSearch, EventSearchError } from '../../../server/store/event-search.parser.js';
import { ev, eventStore } from './event-store-helpers.js';

let events: EventRepository;
const DECOY = 'completely unrelated text';

/** Strings a user (or an attacker) may type: FTS5 syntax, SQL, quotes, keywords, unicode. */
const HOSTILE = [
  '"', '""', '"""', '"unclosed phrase', 'a"b', '(', ')', '()', '(a', 'a)', '*', '**', 'a**', '*a', '-', '--', '-a', '- a', ':', '::', 'host:', 'host:"', 'type:*',
  'msg:"', 'foo:bar', 'a:b:c', '{host}:x', '{message type}: y', '^', '^a', '+', 'a + b', 'NEAR', 'NEAR(a b)', 'NEAR(a b, 2)', 'a NEAR/2 b', 'AND', 'OR', 'NOT',
  'a OR b', 'a AND b', 'NOT a', 'a NOT b', 'a -b', "'", "' OR 1=1 --", '"; DROP TABLE events; --', 'events_fts_1 MATCH x', '\\', '%', '_', '%_%', '100%_done',
  '\u0000', 'nul\u0000byte', '\u200b', 'Zürich Störung', '日本', '✓', '🙂', 'a'.repeat(190), 'x '.repeat(16).trim(), 'col:val OR other', 'type:LINEPROTO-5-*',
];

beforeAll(() => {
  ({ events } = eventStore({ ftsPartitionRows: 40 }));
  const rows: NormalizedEvent[] = [
    parseSyslog(Buffer.from('<189>12: core-sw1: Jun 15 11:00:00.000 UTC: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/1, changed state to down'), { receivedAt: Date.UTC(2026, 0, 1), sourceAddress: '192.0.2.1' }),
    parseSyslog(Buffer.from('<38>Jun 15 11:00:00 web01 sshd[42]: Accepted publickey for deploy from 10.0.0.9 port 53122 ssh2'), { receivedAt: Date.UTC(2026, 0, 1), sourceAddress: '192.0.2.2' }),
    parseSyslog(Buffer.from('<29>1 2024-06-15T11:58:00.512Z mx480 rpd 2345 BGP_PREFIX_THRESH_EXCEEDED [junos@2636 peer="203.0.113.9"] limit exceeded'), { receivedAt: Date.UTC(2026, 0, 1), sourceAddress: '192.0.2.3' }),
    ev(1, { source: 'trap', type: '1.3.6.1.6.3.1.1.5.3', message: 'linkDown (1.3.6.1.6.3.1.1.5.3): ifIndex.3=3', params: { varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.2.3', type: 'OctetString', value: 'uplink-to-core' }] } }),
    ev(2, { message: DECOY }),
  ];
  // Every hostile string also occurs literally in one message.
  HOSTILE.forEach((h, i) => rows.push(ev(10 + i, { message: `literal ${i}: ${h} end` })));
  // Filler: several full-text partitions.
  for (let i = 0; i < 200; i++) rows.push(ev(1000 + i, { message: `filler ${i}` }));
  events.insertBatch(rows);
});

const find = (search: string, over = {}) => events.query({ limit: 500, search, ...over }).items.map((e) => e.message);

describe('full-text search', () => {
  it('finds by word, prefix, phrase and field', () => {
    expect(find('interface')).toEqual([expect.stringContaining('Line protocol on Interface')]);
    expect(find('GIGABIT*')).toHaveLength(1);
    expect(find('"changed state to down"')).toHaveLength(1);
    expect(find('"state changed"')).toHaveLength(0);
    expect(find('host:core-sw1')).toHaveLength(1);
    expect(find('host:core')).toHaveLength(1);
    expect(find('host:web01 app:sshd')).toEqual([expect.stringContaining('Accepted publickey')]);
    expect(find('app:deploy')).toHaveLength(0); // a word of the message, not the app
    expect(find('type:LINEPROTO*')).toHaveLength(1);
    expect(find('type:lineproto-5-updown')).toHaveLength(1);
    expect(find('type:LINEPROTO')).toHaveLength(0); // type: is the whole type (or a prefix with *)
    expect(find('type:1.3.6.1.6.3.1.1.5.3')).toHaveLength(1);
    expect(find('uplink')).toHaveLength(1); // varbind value
    expect(find('203.0.113.9')).toHaveLength(1); // structured-data value
    expect(find('BGP_PREFIX_THRESH_EXCEEDED')).toHaveLength(1); // the type's words
    expect(find('192.0.2.3')).toHaveLength(0); // a hostname was given: the address is not the host
    expect(find('protocol -down')).toHaveLength(0);
    expect(find('filler -"filler 7" -"filler 8"')).toHaveLength(198);
  });

  it('treats quotes, parentheses, -, :, *, ^ and FTS5 keywords in user text as text: no SQL error, no unexpected match', () => {
    let compiled = 0;
    HOSTILE.forEach((h, i) => {
      let match: string;
      try {
        match = compileEventSearch(h);
      } catch (err) {
        // Nothing to look for (only symbols, only exclusions): a clear refusal, never an SQL error.
        expect(err, h).toBeInstanceOf(EventSearchError);
        return;
      }
      compiled++;
      // Outside its "strings", the expression holds only our own syntax and column names.
      expect(match.replace(/"(?:[^"]|"")*"/g, ''), h).toMatch(/^(?:[\s()*^:{}]|AND|OR|NOT|host|app|type|message|vars)*$/);
      const found = find(h);
      expect(found, h).not.toContain(DECOY);
      // Words that are all in one message find it: the literal one has them (unless excluded with -, or a field).
      if (!/(^|\s)-\S/.test(h) && !/(^|\s)(host|app|type|msg|message):\S/i.test(h)) expect(found, h).toContain(`literal ${i}: ${h} end`);
    });
    expect(compiled).toBeGreaterThan(HOSTILE.length / 2);
  });

  it('reads AND, OR, NOT and NEAR as words to find, so "a OR b" is not a wider search', () => {
    const only = find('literal OR');
    expect(only.every((m) => /\bor\b/i.test(m))).toBe(true);
    expect(find('NEAR(a b)').every((m) => /near/i.test(m))).toBe(true);
  });

  it('refuses a search with nothing to look for, only exclusions, or too many words', () => {
    for (const q of ['***', '()', '-', '-foo', '-foo -bar', '"" ""', ':']) expect(() => compileEventSearch(q), q).toThrow(EventSearchError);
    expect(() => compileEventSearch(Array.from({ length: 17 }, (_, i) => `w${i}`).join(' '))).toThrow(/at most 16/);
  });

  it('filters by type: exact or prefix, case-insensitive, never by a look-alike type', () => {
    const { events: repo } = eventStore({ ftsPartitionRows: 10 });
    repo.insertBatch(['LINK-3-UPDOWN', 'LINK.3.UPDOWN', 'link-3-updown-x', 'LINK', '%LINK-3', 'x-LINK-3-UPDOWN'].map((type, i) => ev(i, { type, message: `m${i}` })));
    const types = (type: string) => repo.query({ limit: 50, type }).items.map((e) => e.type).sort();
    expect(types('LINK-3-UPDOWN')).toEqual(['LINK-3-UPDOWN']);
    expect(types('link-3-updown')).toEqual(['LINK-3-UPDOWN']);
    expect(types('LINK*')).toEqual(['LINK', 'LINK-3-UPDOWN', 'LINK.3.UPDOWN', 'link-3-updown-x']);
    expect(types('LINK-3*')).toEqual(['LINK-3-UPDOWN', 'link-3-updown-x']);
    expect(types('%LINK*')).toEqual(['%LINK-3']);
    expect(types('nothing*')).toEqual([]);
  });
});
