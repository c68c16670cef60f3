import { describe, expect, it } from 'vitest';
import type { DeviceDto } from '../../../server/contracts/dto.js';
import {
  emptyDeviceForm,
  fieldErrorsFromApi,
  formFromDevice,
  parseTags,
  secretsOf,
  toCreateBody,
  toUpdateBody,
  validateDeviceForm,
  type DeviceFormModel,
} from '../../../client/src/lib/device-form.js';

const v3Device: DeviceDto = {
  id: 7,
  name: 'core-1',
  address: '10.0.0.1',
  group: 'core',
  location: null,
  tags: ['dc1', 'core'],
  pollIntervalSec: 30,
  icmpEnabled: true,
  snmp: {
    enabled: true,
    version: '3',
    port: 161,
    communitySet: false,
    username: 'nms',
    authProtocol: 'sha256',
    authKeySet: true,
    privProtocol: 'aes',
    privKeySet: true,
    context: null,
    timeoutMs: 2000,
    retries: 1,
  },
  site: 'seoul-dc1',
  collectorDown: false,
  createdAt: 1,
  updatedAt: 2,
};

const form = (over: Partial<DeviceFormModel>): DeviceFormModel => ({ ...emptyDeviceForm(), name: 'sw', address: '192.0.2.1', ...over });

describe('device form', () => {
  it('turns "a, b,, a ,c" into the tags a, b, c', () => {
    expect(parseTags('a, b,, a ,c')).toEqual(['a', 'b', 'c']);
    expect(parseTags('  ')).toEqual([]);
  });

  it('creates a v2c device with only the fields the user filled in', () => {
    expect(toCreateBody(form({ tags: 'x', community: 'secret' }))).toEqual({
      name: 'sw',
      address: '192.0.2.1',
      tags: ['x'],
      pollIntervalSec: 60,
      icmpEnabled: true,
      snmp: { enabled: true, version: '2c', port: 161, timeoutMs: 2000, retries: 1, community: 'secret' },
    });
  });

  it('leaves the community out on create when empty, so the server default applies', () => {
    expect(toCreateBody(form({})).snmp).not.toHaveProperty('community');
  });

  it('creates a v3 authPriv device with user, protocols and keys', () => {
    const snmp = toCreateBody(form({ version: '3', username: 'u', authProtocol: 'sha', authKey: 'authkey12', privProtocol: 'des', privKey: 'privkey12' })).snmp;
    expect(snmp).toMatchObject({ version: '3', username: 'u', authProtocol: 'sha', authKey: 'authkey12', privProtocol: 'des', privKey: 'privkey12' });
    expect(snmp).not.toHaveProperty('community');
  });

  it('keeps stored v3 keys on edit when their fields are left empty', () => {
    const m = formFromDevice(v3Device);
    expect(m.authKey).toBe('');
    const snmp = toUpdateBody(m).snmp!;
    expect(snmp).not.toHaveProperty('authKey');
    expect(snmp).not.toHaveProperty('privKey');
    expect(snmp).toMatchObject({ username: 'nms', authProtocol: 'sha256', privProtocol: 'aes', community: null });
  });

  it('sends a typed key on edit to replace the stored one', () => {
    const snmp = toUpdateBody({ ...formFromDevice(v3Device), authKey: 'new-auth-key' }).snmp!;
    expect(snmp.authKey).toBe('new-auth-key');
    expect(snmp).not.toHaveProperty('privKey');
  });

  it('clears the privacy key when privacy is switched off, and both when auth is', () => {
    const noPriv = toUpdateBody({ ...formFromDevice(v3Device), privProtocol: '' }).snmp!;
    expect(noPriv).toMatchObject({ privProtocol: null, privKey: null });
    expect(noPriv).not.toHaveProperty('authKey');
    const noAuth = toUpdateBody({ ...formFromDevice(v3Device), authProtocol: '' }).snmp!;
    expect(noAuth).toMatchObject({ authProtocol: null, authKey: null, privProtocol: null, privKey: null });
  });

  it('clears the v3 settings when a device moves to v2c', () => {
    const snmp = toUpdateBody({ ...formFromDevice(v3Device), version: '2c', community: 'public2' }).snmp!;
    expect(snmp).toMatchObject({ version: '2c', community: 'public2', username: null, authKey: null, privKey: null, context: null });
  });

  it('leaves the site to the server on create unless one is chosen, and sends the site on edit', () => {
    expect(toCreateBody(form({})).site).toBeUndefined();
    expect(toCreateBody(form({ site: ' busan ' })).site).toBe('busan');
    expect(formFromDevice(v3Device).site).toBe('seoul-dc1');
    expect(toUpdateBody({ ...formFromDevice(v3Device), site: 'daegu' }).site).toBe('daegu');
  });

  it('refuses a site name NMS_SITE would refuse, and an empty one on edit', () => {
    expect(validateDeviceForm(form({ site: 'seoul dc1' })).site).toBeDefined();
    expect(validateDeviceForm(form({ site: 'x'.repeat(65) })).site).toBeDefined();
    expect(validateDeviceForm(form({ site: 'seoul-dc_1' })).site).toBeUndefined();
    expect(validateDeviceForm(form({ site: '' })).site).toBeUndefined();
    expect(validateDeviceForm({ ...formFromDevice(v3Device), site: '' }, secretsOf(v3Device)).site).toBe('A site is required');
  });

  it('clears group and location on edit when emptied', () => {
    const body = toUpdateBody({ ...formFromDevice(v3Device), group: ' ' });
    expect(body.group).toBeNull();
    expect(body.location).toBeNull();
    expect(body.tags).toEqual(['dc1', 'core']);
  });

  it('asks for a name, an address and, for v3, a user', () => {
    const errors = validateDeviceForm(form({ name: ' ', address: '', version: '3' }));
    expect(Object.keys(errors).sort()).toEqual(['address', 'name', 'username']);
  });

  it('needs a key for a newly chosen protocol unless one is stored', () => {
    const m = form({ version: '3', username: 'u', authProtocol: 'md5', privProtocol: 'aes' });
    expect(Object.keys(validateDeviceForm(m)).sort()).toEqual(['authKey', 'privKey']);
    expect(validateDeviceForm(formFromDevice(v3Device), secretsOf(v3Device))).toEqual({});
    expect(validateDeviceForm({ ...m, authKey: 'short' }).authKey).toBe('At least 8 characters');
  });

  it('needs a community on edit only when none is stored', () => {
    const moved = { ...formFromDevice(v3Device), version: '2c' as const };
    expect(validateDeviceForm(moved, secretsOf(v3Device)).community).toBeDefined();
    expect(validateDeviceForm(moved, { ...secretsOf(v3Device), communitySet: true }).community).toBeUndefined();
    expect(validateDeviceForm(form({})).community).toBeUndefined();
  });

  it('rejects a poll interval outside 5..86400 seconds', () => {
    expect(validateDeviceForm(form({ pollIntervalSec: 2 })).pollIntervalSec).toBeDefined();
    expect(validateDeviceForm(form({ pollIntervalSec: 300 })).pollIntervalSec).toBeUndefined();
  });

  it("puts the server's validation errors beside the fields they name", () => {
    expect(
      fieldErrorsFromApi(
        [
          { path: 'address', message: 'must be an IPv4 or IPv6 address' },
          { path: 'snmp.authKey', message: 'v3 keys must be at least 8 characters' },
          { path: 'tags.3', message: 'Too long' },
        ],
        'Invalid body: address: must be an IPv4 or IPv6 address',
      ),
    ).toEqual({ address: 'must be an IPv4 or IPv6 address', authKey: 'v3 keys must be at least 8 characters', tags: 'Too long' });
    expect(fieldErrorsFromApi(undefined, 'snmp.community: required for SNMPv2c')).toEqual({ community: 'required for SNMPv2c' });
    expect(fieldErrorsFromApi(undefined, 'Something else went wrong')).toEqual({});
  });
});
