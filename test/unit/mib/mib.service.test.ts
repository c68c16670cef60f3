import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MibService, MibUploadError } from '../../../server/mib/mib.service.js';
import { MIBS_DIR } from '../../../server/paths.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/mibs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

describe('MIB service', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'netwatch-mibsvc-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const worker of [true, false]) {
    it(`loads, then compiles an upload with only the new file parsed (${worker ? 'worker thread' : 'main thread'})`, async () => {
      const svc = new MibService({ dataDir, projectDir: MIBS_DIR, systemDirs: [], worker });
      const first = await svc.load();
      expect(first.filesCompiled).toBeGreaterThan(5);
      expect(svc.dictionary.resolve('1.3.6.1.2.1.1.3.0').label).toBe('SNMPv2-MIB::sysUpTime.0');
      expect(existsSync(join(dataDir, 'mib-index.json'))).toBe(true);

      const up = await svc.upload('ACME-SMI.txt', fixture('ACME-SMI.txt'));
      expect(up.result.filesCompiled).toBe(1);
      expect(up.modules).toMatchObject([{ name: 'ACME-SMI', status: 'ok' }]);
      expect(svc.dictionary.resolveName('acmeMgmt')).toMatchObject({ found: true, oid: '1.3.6.1.4.1.99999.2' });

      // A restart (new service, same data dir) compiles nothing.
      const again = new MibService({ dataDir, projectDir: MIBS_DIR, systemDirs: [], worker });
      expect((await again.load()).filesCompiled).toBe(0);
      expect(again.dictionary.resolveName('acmeMgmt')).toMatchObject({ found: true });
      await svc.close();
      await again.close();
    }, 90_000);
  }

  it('refuses an upload that does not parse or has a bad file name, without storing it', async () => {
    const svc = new MibService({ dataDir, projectDir: MIBS_DIR, systemDirs: [], worker: false });
    await expect(svc.upload('BROKEN-MIB.txt', fixture('BROKEN-MIB.txt'))).rejects.toBeInstanceOf(MibUploadError);
    await expect(svc.upload('../x.txt', fixture('ACME-SMI.txt'))).rejects.toThrow(/filename/);
    await expect(svc.upload('empty.txt', '-- nothing here\n')).rejects.toThrow(/no MIB module/);
    expect(existsSync(join(dataDir, 'mibs', 'BROKEN-MIB.txt'))).toBe(false);
  });

  it('aborts a running compile on close', async () => {
    const svc = new MibService({ dataDir, projectDir: MIBS_DIR, systemDirs: [] });
    const loading = svc.load();
    await svc.close();
    await expect(loading).rejects.toThrow(/aborted/);
    expect(svc.closed).toBe(true);
  });
});
