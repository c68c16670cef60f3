import { describe, expect, it } from 'vitest';
import { auditChanges, describeAction } from '../../../client/src/lib/audit-diff.js';

describe('audit entry changes', () => {
  it('lists the fields that changed, nested ones as dotted paths, leaving server timestamps out', () => {
    const before = { name: 'sw1', pollIntervalSec: 60, snmp: { version: '2c', communitySet: true }, tags: ['a'], updatedAt: 1 };
    const after = { name: 'sw1', pollIntervalSec: 120, snmp: { version: '3', communitySet: true }, tags: ['a', 'b'], updatedAt: 2 };
    expect(auditChanges(before, after)).toEqual([
      { path: 'pollIntervalSec', before: '60', after: '120' },
      { path: 'snmp.version', before: '2c', after: '3' },
      { path: 'tags', before: '["a"]', after: '["a","b"]' },
    ]);
  });

  it('shows a created object as all new fields and a deleted one as all removed', () => {
    expect(auditChanges(null, { name: 'x' })).toEqual([{ path: 'name', before: '—', after: 'x' }]);
    expect(auditChanges({ name: 'x' }, null)).toEqual([{ path: 'name', before: 'x', after: '—' }]);
  });

  it('words actions for people', () => {
    expect(describeAction('device.update')).toBe('Updated device');
    expect(describeAction('notification-channel.test')).toBe('Tested notification channel');
    expect(describeAction('session.login')).toBe('Logged in');
  });
});
