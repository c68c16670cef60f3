import { describe, expect, it } from 'vitest';
import { buildAssignment, openAssignment, pollerOf } from '../../../server/remote/site-assignment.js';
import { newCollectorKeys } from '../../../server/remote/sealed-secret.js';
import type { DeviceRecord } from '../../../server/store/device.repository.js';

const device = (id: number, site: string, snmp: Partial<DeviceRecord['snmp']> = {}): DeviceRecord => ({
  id, name: `d${id}`, address: '192.0.2.1', group: null, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: true, site, createdAt: 1, updatedAt: 2,
  snmp: { enabled: true, version: '2c', port: 161, community: 'c0mm-secret', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 1, ...snmp },
});

describe('site assignments', () => {
  const a = newCollectorKeys();
  const b = newCollectorKeys();
  const targets = [{ id: 'coll-a', publicKey: a.publicKey }, { id: 'coll-b', publicKey: b.publicKey }];
  const devices = [device(1, 'branch-1'), device(2, 'other'), device(3, 'branch-1', { version: '3', community: null, username: 'u', authProtocol: 'sha', authKey: 'auth-secret', privProtocol: 'aes', privKey: 'priv-secret' })];

  it("carries only the site's devices, each with the one collector that polls it and its secrets sealed for that one only, none in plaintext", () => {
    const value = buildAssignment('branch-1', devices, targets, () => [{ oid: '1.3.6.1.2.1.1.3.0', name: 'uptime', unit: 's' }]);
    expect(value.devices.map((d) => d.id)).toEqual([1, 3]);
    const json = JSON.stringify(value);
    for (const s of ['c0mm-secret', 'auth-secret', 'priv-secret']) expect(json).not.toContain(s);
    for (const d of value.devices) {
      expect(d.collector).toBe(pollerOf(d.id, ['coll-a', 'coll-b']));
      for (const secret of [d.snmp.community, d.snmp.authKey, d.snmp.privKey]) if (secret) expect(secret.map((x) => x.collector)).toEqual([d.collector]);
    }
  });

  it('opens for each collector with its own key, through JSON, custom OIDs included: each gets its own devices, together all of them once', () => {
    const wire = JSON.parse(JSON.stringify(buildAssignment('branch-1', devices, targets, () => [{ oid: '1.3.6.1.2.1.1.3.0', name: 'uptime', unit: 's' }]))) as unknown;
    const polled: number[] = [];
    for (const [id, keys] of [['coll-a', a], ['coll-b', b]] as const) {
      const r = openAssignment(wire, 'branch-1', id, keys.privateKey);
      if (!r.ok) throw new Error(r.reason);
      expect(r.devices.length + r.others).toBe(2);
      for (const d of r.devices) {
        polled.push(d.record.id);
        expect(d.record.secretError).toBeUndefined();
        expect(d.customOids).toEqual([{ oid: '1.3.6.1.2.1.1.3.0', name: 'uptime', unit: 's' }]);
        if (d.record.id === 1) expect(d.record.snmp.community).toBe('c0mm-secret');
        else expect(d.record.snmp).toMatchObject({ authKey: 'auth-secret', privKey: 'priv-secret', community: null });
      }
    }
    expect(polled.sort()).toEqual([1, 3]);
  });

  it("shares a site's devices evenly among its live collectors, and moves only the devices of a collector that joins or goes down", () => {
    const fleet = Array.from({ length: 1000 }, (_, i) => device(i + 1, 'branch-1'));
    const owners = (t: typeof targets) => new Map(buildAssignment('branch-1', fleet, t, () => []).devices.map((d) => [d.id, d.collector]));
    const two = owners(targets);
    const countOf = (m: Map<number, string | null | undefined>, id: string) => [...m.values()].filter((c) => c === id).length;
    expect(countOf(two, 'coll-a') + countOf(two, 'coll-b')).toBe(1000);
    // Rendezvous hashing of 1,000 ids: each share is within a few percent of half.
    expect(countOf(two, 'coll-a')).toBeGreaterThan(430);
    expect(countOf(two, 'coll-b')).toBeGreaterThan(430);
    // A third collector takes about a third, only from the others: no device moves between a and b.
    const c = newCollectorKeys();
    const three = owners([...targets, { id: 'coll-c', publicKey: c.publicKey }]);
    for (const [id, owner] of three) if (owner !== 'coll-c') expect(owner).toBe(two.get(id));
    expect(countOf(three, 'coll-c')).toBeGreaterThan(280);
    // b goes down: a polls everything, b's devices are sealed for a only.
    const bDown = buildAssignment('branch-1', fleet, [targets[0]!, { ...targets[1]!, up: false }], () => []);
    expect(bDown.devices.every((d) => d.collector === 'coll-a' && d.snmp.community!.length === 1 && d.snmp.community![0]!.collector === 'coll-a')).toBe(true);
  });

  it('with no collector of the site up, gives every device to whichever collector comes (sealed for each of them)', () => {
    const value = buildAssignment('branch-1', devices, targets.map((t) => ({ ...t, up: false })), () => []);
    expect(value.devices.map((d) => d.collector)).toEqual([null, null]);
    expect(value.devices[0]!.snmp.community!.map((x) => x.collector)).toEqual(['coll-a', 'coll-b']);
    const wire = JSON.parse(JSON.stringify(value)) as unknown;
    for (const [id, keys] of [['coll-a', a], ['coll-b', b]] as const) {
      const r = openAssignment(wire, 'branch-1', id, keys.privateKey);
      expect(r.ok && r.devices.map((d) => [d.record.id, d.record.secretError])).toEqual([[1, undefined], [3, undefined]]);
    }
  });

  it('opens an assignment of an older centre (no collector per device) with every device for every collector, and refuses a bad collector field', () => {
    const wire = JSON.parse(JSON.stringify(buildAssignment('branch-1', devices, targets.map((t) => ({ ...t, up: false })), () => []))) as { devices: Record<string, unknown>[] };
    for (const d of wire.devices) delete d.collector;
    const r = openAssignment(wire, 'branch-1', 'coll-b', b.privateKey);
    expect(r.ok && r.devices.length).toBe(2);
    for (const bad of [7, 'x'.repeat(129), { id: 'coll-b' }]) {
      const hostile = { ...wire, devices: wire.devices.map((d) => ({ ...d, collector: bad })) };
      expect(openAssignment(hostile, 'branch-1', 'coll-b', b.privateKey).ok).toBe(false);
    }
  });

  it('leaves a device unpollable (secretError, no credential) for a collector it was not sealed for', () => {
    const stranger = newCollectorKeys();
    // No collector up: every device is for every collector of the site, sealed for those the centre knows (not coll-c).
    const down = targets.map((t) => ({ ...t, up: false }));
    const r = openAssignment(JSON.parse(JSON.stringify(buildAssignment('branch-1', devices, down, () => []))), 'branch-1', 'coll-c', stranger.privateKey);
    if (!r.ok) throw new Error(r.reason);
    expect(r.devices[0]!.record.snmp.community).toBeNull();
    expect(r.devices[0]!.record.secretError).toMatch(/not sealed for this collector/);
    // A value sealed for another key under this collector's id does not open either.
    const swapped = JSON.parse(JSON.stringify(buildAssignment('branch-1', devices, [{ id: 'coll-c', publicKey: a.publicKey }], () => []))) as unknown;
    const r2 = openAssignment(swapped, 'branch-1', 'coll-c', stranger.privateKey);
    if (!r2.ok) throw new Error(r2.reason);
    expect(r2.devices[0]!.record.secretError).toMatch(/does not open/);
  });

  it('refuses an assignment for another site, or of the wrong shape, with a reason', () => {
    const value = JSON.parse(JSON.stringify(buildAssignment('branch-1', devices, targets, () => []))) as Record<string, unknown>;
    expect(openAssignment(value, 'branch-2', 'coll-a', a.privateKey)).toMatchObject({ ok: false, reason: expect.stringMatching(/site branch-1/) });
    expect(openAssignment({ ...value, devices: [{ id: 'x' }] }, 'branch-1', 'coll-a', a.privateKey)).toMatchObject({ ok: false });
    expect(openAssignment(JSON.parse('{"format":1,"site":"branch-1","generatedAt":1,"devices":[],"__proto__":{"x":1}}'), 'branch-1', 'coll-a', a.privateKey)).toMatchObject({ ok: false });
    expect(openAssignment(null, 'branch-1', 'coll-a', a.privateKey)).toMatchObject({ ok: false });
  });

  it("carries the custom templates the site's devices can use (global, their device, their group), and an assignment without any opens with none", () => {
    const grouped = [{ ...device(1, 'branch-1'), group: 'edge' }, device(2, 'other'), device(3, 'branch-1')];
    const body = (id: string) => ({ id, name: id, scalars: [{ name: `${id}.v`, oid: '1.3.6.1.4.1.9.2.1.58.0' }] });
    const templates = [
      { id: 'global', body: body('global'), deviceId: null, group: null },
      { id: 'for-3', body: body('for-3'), deviceId: 3, group: null },
      { id: 'for-2', body: body('for-2'), deviceId: 2, group: null },
      { id: 'edge', body: body('edge'), deviceId: null, group: 'edge' },
      { id: 'core', body: body('core'), deviceId: null, group: 'core' },
    ];
    const wire = JSON.parse(JSON.stringify(buildAssignment('branch-1', grouped, targets, () => [], 1, templates))) as Record<string, unknown>;
    const r = openAssignment(wire, 'branch-1', 'coll-a', a.privateKey);
    if (!r.ok) throw new Error(r.reason);
    expect(r.templates.map((t) => t.id)).toEqual(['global', 'for-3', 'edge']);
    const { templates: _omitted, ...older } = wire;
    const o = openAssignment(older, 'branch-1', 'coll-a', a.privateKey);
    expect(o.ok && o.templates).toEqual([]);
    // Extra keys or a wrong shape refuse the assignment (the devices polled so far stay).
    expect(openAssignment({ ...wire, templates: [{ id: 'x', body: {}, deviceId: null, group: null, extra: 1 }] }, 'branch-1', 'coll-a', a.privateKey).ok).toBe(false);
    expect(openAssignment({ ...wire, templates: [{ id: '', body: {}, deviceId: null, group: null }] }, 'branch-1', 'coll-a', a.privateKey).ok).toBe(false);
  });
});
