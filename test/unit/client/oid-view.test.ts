import { describe, expect, it, vi } from 'vitest';
import type { MibNode } from '../../../server/contracts/mib.js';
import { browseTarget, debounce, dedent, detailRows, enumList, kindLabel, syntaxText } from '../../../client/src/components/oids/oid-view.js';

const node = (over: Partial<MibNode>): MibNode => ({
  oid: '1.3.6.1.2.1.2.2.1.8',
  name: 'ifOperStatus',
  module: 'IF-MIB',
  kind: 'column',
  syntax: 'INTEGER',
  baseType: 'INTEGER',
  enums: { 2: 'down', 1: 'up', 10: 'x' },
  displayHint: null,
  units: null,
  access: 'read-only',
  status: 'current',
  description: 'The current state.',
  index: null,
  augments: null,
  objects: null,
  ...over,
});

describe('OID dictionary page helpers', () => {
  it('lists a node as a MIB states it, leaving out empty fields', () => {
    expect(detailRows(node({}))).toEqual([
      { key: 'oid', label: 'OID', value: '1.3.6.1.2.1.2.2.1.8' },
      { key: 'module', label: 'Module', value: 'IF-MIB' },
      { key: 'kind', label: 'Kind', value: 'column' },
      { key: 'syntax', label: 'Syntax', value: 'INTEGER' },
      { key: 'access', label: 'Access', value: 'read-only' },
      { key: 'status', label: 'Status', value: 'current' },
    ]);
    const row = detailRows(node({ kind: 'row', syntax: 'IfEntry', baseType: null, index: [{ name: 'ifIndex', module: 'IF-MIB', implied: false }, { name: 'name', module: null, implied: true }] }));
    expect(row.find((r) => r.key === 'index')?.value).toBe('ifIndex, IMPLIED name');
    const trap = detailRows(node({ kind: 'notification', syntax: null, baseType: null, enums: null, objects: ['ifIndex', 'ifAdminStatus', 'ifOperStatus'] }));
    expect(trap.find((r) => r.key === 'objects')).toEqual({ key: 'objects', label: 'Objects', value: 'ifIndex, ifAdminStatus, ifOperStatus' });
    expect(kindLabel('row')).toBe('table row');
    expect(kindLabel(null)).toBe('unnamed arc');
  });

  it('shows the base type behind a textual convention, enums by value', () => {
    expect(syntaxText({ syntax: 'DisplayString', baseType: 'OCTET STRING' })).toBe('DisplayString (OCTET STRING)');
    expect(syntaxText({ syntax: 'Counter32', baseType: 'Counter32' })).toBe('Counter32');
    expect(syntaxText({ syntax: null, baseType: null })).toBeNull();
    expect(enumList({ 2: 'down', 1: 'up', 10: 'x' }).map((e) => `${e.label}(${e.value})`)).toEqual(['up(1)', 'down(2)', 'x(10)']);
    expect(browseTarget(node({}))).toBe('IF-MIB::ifOperStatus');
  });

  it('removes the indentation MIB files give continuation lines', () => {
    const text = 'The total number of octets.\n            including framing.\n\n\n\n            Discontinuities\n              may occur.  \n';
    expect(dedent(text)).toBe('The total number of octets.\nincluding framing.\n\nDiscontinuities\n  may occur.');
    expect(dedent('one line')).toBe('one line');
  });

  it('debounces: only the last call within the wait runs, cancel drops it', () => {
    vi.useFakeTimers();
    try {
      const seen: string[] = [];
      const d = debounce((q: string) => seen.push(q), 250);
      d('i');
      d('if');
      vi.advanceTimersByTime(249);
      d('ifIn');
      vi.advanceTimersByTime(250);
      expect(seen).toEqual(['ifIn']);
      d('x');
      d.cancel();
      vi.advanceTimersByTime(1000);
      expect(seen).toEqual(['ifIn']);
    } finally {
      vi.useRealTimers();
    }
  });
});
