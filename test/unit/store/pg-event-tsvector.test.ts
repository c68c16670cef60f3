import { describe, expect, it } from 'vitest';
import { eventRows } from '../../../server/store/event-row.js';
import { EventSearchError, parseTypeFilter } from '../../../server/store/event-search.parser.js';
import { compileEventSearchTsquery, eventTsvector, tokens, typeFilterTsquery } from '../../../server/store/pg/event-tsvector.js';

const row = (over: Record<string, unknown>) =>
  eventRows([{ id: 1, receivedAt: 0, reportedAt: null, source: 'syslog', sourceAddress: '192.0.2.1', deviceId: null, severity: 'info', type: 'LINK-3-UPDOWN', message: 'm', params: {}, ...over }]);

describe('PostgreSQL full-text mapping', () => {
  it('tokenizes like FTS5 unicode61: letter/digit runs, lower case, diacritics removed', () => {
    expect(tokens('Core-SW1: Interface Gi0/1, changed')).toEqual(['core', 'sw1', 'interface', 'gi0', '1', 'changed']);
    expect(tokens('Zürich Störung ÜBER café')).toEqual(['zurich', 'storung', 'uber', 'cafe']);
    expect(tokens('日本 ✓ 🙂')).toEqual(['日本']);
  });

  it('writes one lexeme per field word, with positions, the type tokens, and quotes the whole type', () => {
    const v = eventTsvector(row({ type: "it's a \\ type", message: 'link down link', params: { hostname: 'core-sw1', appName: 'sshd' } }), 0);
    expect(v).toContain("'z_it''s a \\\\ type':1");
    expect(v).toContain("'m_link':1,3");
    expect(v).toContain("'m_down':2");
    expect(v).toContain("'h_core':1 'h_sw1':2");
    expect(v).toContain("'a_sshd':1");
    expect(v).toContain("'y_itxsxaxtype':1");
  });

  it('compiles fields, phrases, prefixes and exclusions with every operand quoted', () => {
    expect(compileEventSearchTsquery('host:core-sw1')).toBe("'h_core' <-> 'h_sw1'");
    expect(compileEventSearchTsquery('msg:"changed state"*')).toBe("'m_changed' <-> 'm_state':*");
    expect(compileEventSearchTsquery('type:LINEPROTO*')).toBe("'y_lineproto':*");
    expect(compileEventSearchTsquery('down -cron')).toBe(
      "( 'm_down' | 't_down' | 'h_down' | 'a_down' | 'v_down' ) & !( ( 'm_cron' | 't_cron' | 'h_cron' | 'a_cron' | 'v_cron' ) )",
    );
    expect(compileEventSearchTsquery("a'b & !c")).toContain("'m_a' <-> 'm_b'");
    expect(typeFilterTsquery(parseTypeFilter("O'Brien*"))).toBe("'z_o''brien':*");
  });

  it('refuses what the SQLite search refuses', () => {
    expect(() => compileEventSearchTsquery('***')).toThrow(EventSearchError);
    expect(() => compileEventSearchTsquery('-down')).toThrow(/at least one word/);
  });
});
