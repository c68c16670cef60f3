import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMibs } from '../../../server/mib/mib.loader.js';
import { OidDictionary } from '../../../server/mib/oid-dictionary.js';
import { MIBS_DIR } from '../../../server/paths.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/mibs');

describe('MIB loader', () => {
  let dir: string;
  let vendor: string;
  const load = () =>
    loadMibs({ projectDir: MIBS_DIR, uploadDir: join(dir, 'uploads'), extraDirs: [vendor], systemDirs: [], indexPath: join(dir, 'mib-index.json') });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netwatch-mib-'));
    vendor = join(dir, 'vendor');
    mkdirSync(vendor);
    for (const f of ['ACME-SMI.txt', 'ACME-SWITCH-MIB.txt', 'ACME-V1-TRAPS-MIB.txt', 'BROKEN-MIB.txt', 'ORPHAN-MIB.txt', 'NEEDS-BROKEN-MIB.txt']) {
      copyFileSync(join(FIXTURES, f), join(vendor, f));
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads good modules while reporting a broken MIB, a missing import and a dependant of the broken one', () => {
    const { modules, infos } = load();
    const info = (name: string) => infos.find((m) => m.name === name);
    expect(info('BROKEN-MIB')).toMatchObject({ status: 'error', file: join(vendor, 'BROKEN-MIB.txt') });
    expect(info('BROKEN-MIB')!.errors[0]!.line).toBeGreaterThan(0);
    expect(info('ORPHAN-MIB')!.errors[0]!.reason).toMatch(/NONEXISTENT-TC-MIB, which is not installed/);
    expect(info('NEEDS-BROKEN-MIB')!.errors[0]!.reason).toMatch(/BROKEN-MIB, which failed to load/);
    for (const ok of ['ACME-SMI', 'ACME-SWITCH-MIB', 'ACME-V1-TRAPS-MIB', 'IF-MIB', 'SNMPv2-MIB', 'RFC1213-MIB']) expect(info(ok)?.status).toBe('ok');

    const dict = new OidDictionary(modules, infos);
    expect(dict.resolve('1.3.6.1.4.1.99999.2.1.1.2.1.2.7')).toMatchObject({ label: 'ACME-SWITCH-MIB::acmeFanState.7', instance: '7' });
    expect(dict.resolveName('ACME-SWITCH-MIB::acmeFanState')).toMatchObject({ found: true, node: { kind: 'column', baseType: 'INTEGER', enums: { 1: 'ok', 2: 'degraded', 3: 'failed' } } });
    expect(dict.resolveName('acmeChassisTemperature')).toMatchObject({ found: true, node: { kind: 'scalar', syntax: 'AcmeTenths', baseType: 'Integer32', displayHint: 'd-1', units: 'degrees Celsius' } });
    expect(dict.resolveName('acmeFanEntry')).toMatchObject({ found: true, node: { kind: 'row', index: [{ name: 'acmeFanIndex', module: 'ACME-SWITCH-MIB', implied: false }] } });
    expect(dict.resolveName('acmeFanTable')).toMatchObject({ found: true, node: { kind: 'table' } });
    // AUGMENTS takes the augmented row's INDEX, across modules when needed.
    expect(dict.resolveName('acmePortEntry')).toMatchObject({ found: true, node: { augments: 'acmePortStatsEntry', index: [{ name: 'ifIndex', module: 'IF-MIB' }] } });
    expect(dict.resolveName('acmePortMac')).toMatchObject({ found: true, node: { baseType: 'OCTET STRING', displayHint: '1x:' } });
    expect(dict.resolveName('acmeFanFailed')).toMatchObject({ found: true, oid: '1.3.6.1.4.1.99999.2.1.0.1', node: { kind: 'notification', objects: ['acmeFanName', 'acmeFanState'] } });
    expect(dict.resolveName('acmeSwitchGroup')).toMatchObject({ found: true, node: { kind: 'group' } });
    expect(dict.resolveName('acmeSwitchCompliance')).toMatchObject({ found: true, node: { kind: 'compliance' } });
    expect(dict.resolveName('acmeSwitchMIB')).toMatchObject({ found: true, node: { kind: 'module-identity' } });
    expect(dict.resolveName('acmeProducts')).toMatchObject({ found: true, node: { kind: 'object-identity' } });
    // SMIv1 traps: enterprise.0.specific, with their VARIABLES.
    expect(dict.resolve('1.3.6.1.4.1.99999.9.0.2')).toMatchObject({ label: 'ACME-V1-TRAPS-MIB::acmeUpsBatteryLow', instance: '' });
    expect(dict.resolveName('acmeUpsOnBattery')).toMatchObject({ found: true, node: { kind: 'notification', objects: ['acmeUpsName', 'acmeUpsBatteryStatus'] } });
    expect(dict.resolveName('acmeUpsOutages')).toMatchObject({ found: true, node: { baseType: 'Counter', access: 'read-only', status: 'mandatory' } });
  });

  it('loads from the index on a warm start and recompiles only a changed file and its dependants', () => {
    const cold = load().result;
    expect(cold.filesCompiled).toBeGreaterThan(10);
    const warm = load();
    expect(warm.result.filesCompiled).toBe(0);
    expect(warm.result.modulesCompiled).toBe(0);
    expect(warm.result.nodes).toBe(cold.nodes);

    // ACME-SMI changes: it and ACME-SWITCH-MIB (which imports it) are re-read and recompiled; nothing else is.
    writeFileSync(join(vendor, 'ACME-SMI.txt'), `-- edited\n${readFileSync(join(FIXTURES, 'ACME-SMI.txt'), 'utf8')}`);
    const after = load().result;
    expect(after.filesCompiled).toBe(2);
    expect(after.modulesCompiled).toBe(2);
  });

  it('prefers an uploaded module over the shipped one', () => {
    mkdirSync(join(dir, 'uploads'));
    writeFileSync(
      join(dir, 'uploads', 'acme.mib'),
      readFileSync(join(FIXTURES, 'ACME-SMI.txt'), 'utf8').replace('{ acme 2 }', '{ acme 22 }'),
    );
    const { modules, infos } = load();
    expect(infos.find((m) => m.name === 'ACME-SMI')).toMatchObject({ file: join(dir, 'uploads', 'acme.mib'), shadowed: [join(vendor, 'ACME-SMI.txt')] });
    expect(new OidDictionary(modules, infos).resolveName('acmeMgmt')).toMatchObject({ oid: '1.3.6.1.4.1.99999.22' });
  });
});
