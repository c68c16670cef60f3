import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMibs } from '../../../server/mib/mib.loader.js';
import { OidDictionary } from '../../../server/mib/oid-dictionary.js';
import { MIBS_DIR } from '../../../server/paths.js';

// The shipped base modules only (no system MIBs): what a fresh install knows.
describe('OID dictionary over the shipped base modules', () => {
  let dir: string;
  let dict: OidDictionary;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netwatch-dict-'));
    const r = loadMibs({ projectDir: MIBS_DIR, uploadDir: join(dir, 'up'), systemDirs: [], extraDirs: [join(import.meta.dirname, '../../fixtures/mibs')], indexPath: join(dir, 'i.json') });
    dict = new OidDictionary(r.modules, r.infos);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves a numeric OID by longest prefix and keeps the instance', () => {
    expect(dict.resolve('1.3.6.1.2.1.2.2.1.10.3')).toMatchObject({ label: 'IF-MIB::ifInOctets.3', instance: '3', node: { name: 'ifInOctets', kind: 'column', baseType: 'Counter32' } });
    expect(dict.resolve('.1.3.6.1.2.1.1.5.0')).toMatchObject({ label: 'SNMPv2-MIB::sysName.0', instance: '0' });
    expect(dict.resolve('1.3.6.1.6.3.1.1.5.3')).toMatchObject({ label: 'IF-MIB::linkDown', instance: '' });
    expect(dict.resolve('1.3.6.1.6.3.1.1.5.1')).toMatchObject({ label: 'SNMPv2-MIB::coldStart' });
    expect(dict.resolve('2.999.1')).toMatchObject({ node: null, label: '2.999.1' });
  });

  it('resolves qualified, bare and instance names', () => {
    expect(dict.resolveName('IF-MIB::ifInOctets')).toMatchObject({ found: true, oid: '1.3.6.1.2.1.2.2.1.10' });
    expect(dict.resolveName('ifInOctets')).toMatchObject({ found: true, oid: '1.3.6.1.2.1.2.2.1.10' });
    expect(dict.resolveName('IF-MIB::ifInOctets.3')).toMatchObject({ found: true, oid: '1.3.6.1.2.1.2.2.1.10.3', instance: '3', label: 'IF-MIB::ifInOctets.3' });
    expect(dict.resolveName('NO-SUCH-MIB::ifInOctets')).toEqual({ found: false, ambiguous: null });
    expect(dict.lookup('1.3.6.1.2.1.2.2.1.8.5')).toMatchObject({ found: true, label: 'IF-MIB::ifOperStatus.5' });
  });

  it('lists candidates for a bare name defined at different OIDs', () => {
    // RFC1213-MIB and SNMPv2-MIB both define sysDescr at one OID: one meaning, the SMIv2 module names it.
    expect(dict.resolveName('sysDescr')).toMatchObject({ found: true, node: { module: 'SNMPv2-MIB' } });
    const amb = new OidDictionary([
      { name: 'A-MIB', file: 'a', hash: '', key: '', status: 'ok', errors: [], imports: [], smiV2: true, types: {}, nodes: [node('A-MIB', 'thing', '1.3.6.1.4.1.1')] },
      { name: 'B-MIB', file: 'b', hash: '', key: '', status: 'ok', errors: [], imports: [], smiV2: true, types: {}, nodes: [node('B-MIB', 'thing', '1.3.6.1.4.1.2')] },
    ]);
    const r = amb.resolveName('thing');
    expect(r.found).toBe(false);
    expect(!r.found && r.ambiguous?.candidates.map((c) => `${c.module}::${c.name}`)).toEqual(['A-MIB::thing', 'B-MIB::thing']);
  });

  it('takes the SMIv2 definition when a bare name has an SMIv1 TRAP-TYPE twin at another OID', () => {
    const d = new OidDictionary([
      { name: 'V1-MIB', file: 'a', hash: '', key: '', status: 'ok', errors: [], imports: [], smiV2: false, types: {}, nodes: [node('V1-MIB', 'fanDown', '1.3.6.1.4.1.9.0.1')] },
      { name: 'V2-MIB', file: 'b', hash: '', key: '', status: 'ok', errors: [], imports: [], smiV2: true, types: {}, nodes: [node('V2-MIB', 'fanDown', '1.3.6.1.4.1.9.2.0.1')] },
    ]);
    expect(d.resolveName('fanDown')).toMatchObject({ found: true, oid: '1.3.6.1.4.1.9.2.0.1' });
    expect(d.resolveName('V1-MIB::fanDown')).toMatchObject({ found: true, oid: '1.3.6.1.4.1.9.0.1' });
  });

  it('ranks exact name, then prefix, then substring, then description words', () => {
    const names = dict.search('ifInOctets', 5).map((h) => h.node.name);
    expect(names[0]).toBe('ifInOctets');
    const pre = dict.search('ifInU', 10).map((h) => h.node.name);
    expect(pre).toContain('ifInUcastPkts');
    const sub = dict.search('octets', 50);
    expect(sub.every((h, i) => i === 0 || sub[i - 1]!.score >= h.score)).toBe(true);
    const words = dict.search('fan stopped degraded', 5).map((h) => h.node.name);
    expect(words).toContain('acmeFanFailed');
  });

  it('lists children for tree browsing', () => {
    expect(dict.children('')).toContainEqual(expect.objectContaining({ oid: '1', name: 'iso', hasChildren: true }));
    const sys = dict.children('1.3.6.1.2.1.1');
    expect(sys.map((c) => c.name)).toEqual(expect.arrayContaining(['sysDescr', 'sysObjectID', 'sysUpTime', 'sysName']));
    expect(sys.find((c) => c.name === 'sysDescr')).toMatchObject({ oid: '1.3.6.1.2.1.1.1', kind: 'scalar', hasChildren: false });
    expect(dict.children('1.3.6.1.2.1.1.1')).toEqual([]);
  });

  it('lists modules with their status and errors', () => {
    const mods = dict.modules();
    expect(mods.find((m) => m.name === 'IF-MIB')).toMatchObject({ status: 'ok' });
    expect(mods.find((m) => m.name === 'BROKEN-MIB')).toMatchObject({ status: 'error' });
  });
});

function node(module: string, name: string, oid: string) {
  return { oid, name, module, kind: 'scalar' as const, syntax: null, baseType: null, enums: null, displayHint: null, units: null, access: null, status: null, description: null, index: null, augments: null, objects: null };
}
