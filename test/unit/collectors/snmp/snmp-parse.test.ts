import { describe, expect, it } from 'vitest';
import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import { parseHost, parseInterfaces, parseNeighbours, parseSystem, parseUcd } from '../../../../server/collectors/snmp/snmp.parse.js';
import { CDP, HR, IF, IFX, IFX_HC, LLDP, SYS, UCD } from '../../../../server/collectors/snmp/snmp.oids.js';
import { enterpriseOf, vendorOf } from '../../../../server/collectors/snmp/vendors.js';
import { oidCompare, toText } from '../../../../server/collectors/snmp/snmp.values.js';

const T = snmp.ObjectType;
const vb = (oid: string, type: number, value: unknown): Varbind => ({ oid, type, value });
const str = (oid: string, s: string) => vb(oid, T.OctetString, Buffer.from(s));
const cols = (list: Varbind[], roots: string[]) => {
  const m = new Map<string, Varbind[]>(roots.map((r) => [r, []]));
  for (const v of list) {
    const root = roots.find((r) => v.oid.startsWith(r + '.'));
    if (root) m.get(root)!.push(v);
  }
  return m;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};

describe('system group', () => {
  it('names the vendor from the sysObjectID enterprise number', () => {
    const s = parseSystem([str(SYS.sysName, 'core-1'), vb(SYS.sysObjectID, T.OID, '1.3.6.1.4.1.9.1.1208'), vb(SYS.sysUpTime, T.TimeTicks, 12345), vb(SYS.sysContact, T.NoSuchObject, null)]);
    expect(s).toMatchObject({ sysName: 'core-1', enterprise: 9, vendor: 'Cisco', sysUpTimeCs: 12345, sysContact: null });
    expect(vendorOf('1.3.6.1.4.1.2636.1.1.1.2.29')).toBe('Juniper');
    expect(vendorOf('1.3.6.1.4.1.14988.1')).toBe('MikroTik');
    expect(vendorOf('1.3.6.1.4.1.999999.1')).toBe('enterprise 999999');
    expect(enterpriseOf('1.3.6.1.2.1.1')).toBeNull();
  });
});

describe('interfaces', () => {
  it('prefers HC counters and ifHighSpeed, falls back to 32-bit and ifSpeed', () => {
    const roots = [...Object.values(IF), ...Object.values(IFX), ...Object.values(IFX_HC)];
    const list = [
      str(`${IF.ifDescr}.1`, 'GigabitEthernet0/1'),
      str(`${IF.ifDescr}.2`, 'Serial0'),
      vb(`${IF.ifSpeed}.1`, T.Gauge, 4294967295),
      vb(`${IF.ifSpeed}.2`, T.Gauge, 2048000),
      vb(`${IF.ifPhysAddress}.1`, T.OctetString, Buffer.from([0, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f])),
      vb(`${IF.ifOperStatus}.1`, T.Integer, 1),
      vb(`${IF.ifOperStatus}.2`, T.Integer, 2),
      vb(`${IF.ifInOctets}.1`, T.Counter, 100),
      vb(`${IF.ifInOctets}.2`, T.Counter, 200),
      vb(`${IF.ifInErrors}.1`, T.Counter, 3),
      str(`${IFX.ifName}.1`, 'Gi0/1'),
      str(`${IFX.ifAlias}.1`, 'uplink to core'),
      vb(`${IFX.ifHighSpeed}.1`, T.Gauge, 10000),
      vb(`${IFX_HC.ifHCInOctets}.1`, T.Counter64, u64(2n ** 60n + 1n)),
    ];
    const [a, b] = parseInterfaces(cols(list, roots));
    expect(a).toMatchObject({ ifIndex: 1, name: 'Gi0/1', descr: 'GigabitEthernet0/1', alias: 'uplink to core', speedBps: 10_000_000_000, mac: '00:1b:2c:3d:4e:5f', operStatus: 1, hc: true });
    expect(a!.counters.inOctets).toEqual({ value: 2n ** 60n + 1n, bits: 64 });
    expect(a!.counters.inErrors).toEqual({ value: 3n, bits: 32 });
    expect(b).toMatchObject({ ifIndex: 2, name: 'Serial0', speedBps: 2048000, hc: false, alias: null });
    expect(b!.counters.inOctets).toEqual({ value: 200n, bits: 32 });
  });
});

describe('host resources and UCD', () => {
  it('turns hrStorage units into bytes and reads UCD load strings', () => {
    const list = [
      vb(`${HR.hrProcessorLoad}.196608`, T.Integer, 12),
      vb(`${HR.hrStorageType}.1`, T.OID, '1.3.6.1.2.1.25.2.1.2'),
      str(`${HR.hrStorageDescr}.1`, 'Physical memory'),
      vb(`${HR.hrStorageAllocationUnits}.1`, T.Integer, 1024),
      vb(`${HR.hrStorageSize}.1`, T.Integer, 1000),
      vb(`${HR.hrStorageUsed}.1`, T.Integer, 250),
    ];
    const h = parseHost(cols(list, Object.values(HR)));
    expect(h).toEqual({ processors: [{ index: 196608, loadPct: 12 }], storage: [{ index: 1, kind: 'ram', descr: 'Physical memory', sizeBytes: 1024000, usedBytes: 256000 }] });
    expect(parseHost(cols([], Object.values(HR)))).toBeNull();
    const u = parseUcd([str(UCD.laLoad1, '0.42'), str(UCD.laLoad5, '1.50'), vb(UCD.memTotalReal, T.Integer, 2048), vb(UCD.memCached, T.NoSuchObject, null)]);
    expect(u).toMatchObject({ load1: 0.42, load5: 1.5, load15: null, memTotalRealKb: 2048, memCachedKb: null });
    expect(parseUcd([vb(UCD.laLoad1, T.NoSuchObject, null)])).toBeNull();
  });

  it('takes an hrStorageType text such as constructor or __proto__ for an unknown kind, not an inherited property', () => {
    for (const t of ['constructor', '__proto__', 'toString']) {
      const h = parseHost(cols([str(`${HR.hrStorageType}.1`, t), vb(`${HR.hrStorageSize}.1`, T.Integer, 10)], Object.values(HR)));
      expect(h!.storage[0]!.kind).toBe('other');
    }
  });
});

describe('LLDP and CDP neighbours', () => {
  it('reads LLDP remote systems with MAC chassis ids, port names and management addresses', () => {
    const idx = '0.3.1'; // timeMark.localPortNum.remIndex
    const list = [
      vb(`${LLDP.lldpRemChassisIdSubtype}.${idx}`, T.Integer, 4),
      vb(`${LLDP.lldpRemChassisId}.${idx}`, T.OctetString, Buffer.from([0x00, 0x11, 0x22, 0x33, 0x44, 0x55])),
      vb(`${LLDP.lldpRemPortIdSubtype}.${idx}`, T.Integer, 5),
      str(`${LLDP.lldpRemPortId}.${idx}`, 'ge-0/0/7'),
      str(`${LLDP.lldpRemPortDesc}.${idx}`, 'to access-3'),
      str(`${LLDP.lldpRemSysName}.${idx}`, 'dist-2.example.net'),
      vb(`${LLDP.lldpRemManAddrIfSubtype}.${idx}.1.4.192.0.2.7`, T.Integer, 2),
      str(`${LLDP.lldpLocPortDesc}.3`, 'GigabitEthernet0/3'),
    ];
    const n = parseNeighbours(cols(list, [...Object.values(LLDP), ...Object.values(CDP)]), new Map([[3, 'Gi0/3']]));
    expect(n).toEqual([
      {
        protocol: 'lldp',
        localPortNum: 3,
        localPort: 'GigabitEthernet0/3',
        remoteChassis: '00:11:22:33:44:55',
        remotePort: 'ge-0/0/7',
        remotePortDesc: 'to access-3',
        remoteSysName: 'dist-2.example.net',
        remoteMgmtAddr: '192.0.2.7',
        remotePlatform: null,
      },
    ]);
  });

  it('reads the CDP cache keyed by local ifIndex', () => {
    const list = [
      str(`${CDP.cdpCacheDeviceId}.10101.2`, 'sw-9'),
      str(`${CDP.cdpCacheDevicePort}.10101.2`, 'GigabitEthernet1/0/48'),
      vb(`${CDP.cdpCacheAddressType}.10101.2`, T.Integer, 1),
      vb(`${CDP.cdpCacheAddress}.10101.2`, T.OctetString, Buffer.from([198, 51, 100, 9])),
      str(`${CDP.cdpCachePlatform}.10101.2`, 'cisco WS-C2960X-48TS-L'),
    ];
    const n = parseNeighbours(cols(list, [...Object.values(LLDP), ...Object.values(CDP)]), new Map([[10101, 'Gi1/0/1']]));
    expect(n).toEqual([
      {
        protocol: 'cdp',
        localPortNum: 10101,
        localPort: 'Gi1/0/1',
        remoteChassis: 'sw-9',
        remotePort: 'GigabitEthernet1/0/48',
        remotePortDesc: null,
        remoteSysName: 'sw-9',
        remoteMgmtAddr: '198.51.100.9',
        remotePlatform: 'cisco WS-C2960X-48TS-L',
      },
    ]);
    expect(parseNeighbours(new Map(), new Map())).toBeNull();
  });
});

describe('values', () => {
  it('compares OIDs numerically and renders binary strings as hex', () => {
    expect(oidCompare('1.3.6.1.2.1.2', '1.3.6.1.2.1.10')).toBeLessThan(0);
    expect(oidCompare('1.3.6.1', '1.3.6.1.0')).toBeLessThan(0);
    expect(toText(vb('1', T.OctetString, Buffer.from([0xde, 0xad, 0x00, 0x01])))).toBe('de:ad:00:01');
    expect(toText(vb('1', T.OctetString, Buffer.from('eth0\0')))).toBe('eth0');
  });

  it('orders OIDs arc by arc as numbers, whatever their lengths (same order as comparing the split arcs)', () => {
    const bySplit = (a: string, b: string) => {
      const pa = a.split('.').map(Number);
      const pb = b.split('.').map(Number);
      for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
      return pa.length - pb.length;
    };
    expect(oidCompare('1.3.6.1.4.1.9', '1.3.6.1.4.1.90')).toBeLessThan(0);
    expect(oidCompare('1.3.6.1.4.1.10', '1.3.6.1.4.1.9')).toBeGreaterThan(0);
    expect(oidCompare('1.3.6.1.2.1.31.1.1.1.6.4294967295', '1.3.6.1.2.1.31.1.1.1.6.4294967294')).toBeGreaterThan(0);
    expect(oidCompare('1.3.6', '1.3.6')).toBe(0);
    expect(oidCompare('1.3.6.1.0', '1.3.6.1')).toBeGreaterThan(0);
    // Deterministic pseudo-random OIDs of 1-12 arcs with values up to 2^32-1.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const oid = () => Array.from({ length: 1 + rnd(12) }, () => (rnd(4) === 0 ? rnd(4294967295) : rnd(30))).join('.');
    const list = Array.from({ length: 2000 }, oid);
    for (let i = 1; i < list.length; i++) expect(Math.sign(oidCompare(list[i - 1]!, list[i]!))).toBe(Math.sign(bySplit(list[i - 1]!, list[i]!)));
    expect([...list].sort(oidCompare)).toEqual([...list].sort(bySplit));
  });
});
