import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncSharedMibs } from '../../../server/mib/mib-shared.js';
import { MibService } from '../../../server/mib/mib.service.js';
import { MIBS_DIR } from '../../../server/paths.js';
import type { Db } from '../../../server/store/database.js';
import { MibUploadRepository, sha256Hex } from '../../../server/store/mib-upload.repository.js';
import { LAB_SMI, LAB_TC } from '../../helpers/mib-bundle.js';
import { openTestDb, STORE_ENGINES } from '../../helpers/store-engines.js';

// Issue 15, several central nodes: a MIB uploaded through one node is kept in the shared store, and the
// other nodes write it into their own data directory and compile it. Two MibServices with their own data
// directories on one real store (SQLite and PostgreSQL) stand for two nodes.

const FIXTURES = join(import.meta.dirname, '../../fixtures/mibs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const zip = (files: Record<string, string>) => zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])));

describe.each(STORE_ENGINES)('MIB uploads shared through the store on %s', (engine) => {
  let db: Db;
  let dirA: string;
  let dirB: string;
  const services: MibService[] = [];
  const node = (dataDir: string) => {
    const svc = new MibService({ dataDir, projectDir: MIBS_DIR, systemDirs: [], worker: false });
    svc.share(new MibUploadRepository(db));
    services.push(svc);
    return svc;
  };
  beforeEach(async () => {
    db = await openTestDb(engine);
    dirA = mkdtempSync(join(tmpdir(), 'nw-mibshare-a-'));
    dirB = mkdtempSync(join(tmpdir(), 'nw-mibshare-b-'));
  }, 60_000);
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.close()));
    db.close();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('stores a single upload and a bundle: the other node writes and compiles them; a replaced bundle replaces its files', async () => {
    const a = node(dirA);
    const b = node(dirB);
    await a.load();
    await b.load();
    expect(await b.syncShared()).toBe(false); // nothing stored yet: no recompile

    await a.upload('ACME-SMI.txt', fixture('ACME-SMI.txt'));
    expect(b.dictionary.resolveName('acmeMgmt')).toMatchObject({ found: false });
    expect(await b.syncShared()).toBe(true);
    expect(b.dictionary.resolveName('acmeMgmt')).toMatchObject({ found: true, oid: '1.3.6.1.4.1.99999.2' });
    expect(readFileSync(join(dirB, 'mibs', 'ACME-SMI.txt'), 'utf8')).toBe(fixture('ACME-SMI.txt'));
    expect(await b.syncShared()).toBe(false); // the same bytes: nothing written, nothing compiled

    await a.uploadBundle('lab.zip', zip({ 'lab/LAB-CISCO-SMI.my': LAB_SMI, 'lab/tc/LAB-CISCO-TC.my': LAB_TC }));
    expect(await b.syncShared()).toBe(true);
    expect(b.dictionary.resolveName('labCiscoMgmt')).toMatchObject({ found: true, oid: '1.3.6.1.4.1.9.9' });
    expect(readdirSync(join(dirB, 'mibs', 'bundles', 'lab')).sort()).toEqual(readdirSync(join(dirA, 'mibs', 'bundles', 'lab')).sort());

    // The same bundle name again with one module: B's folder holds exactly the new files.
    await a.uploadBundle('lab.zip', zip({ 'LAB-CISCO-TC.my': LAB_TC }));
    expect(await b.syncShared()).toBe(true);
    expect(readdirSync(join(dirB, 'mibs', 'bundles', 'lab'))).toEqual(['LAB-CISCO-TC.my']);
    expect(b.dictionary.resolveName('labCiscoMgmt')).toMatchObject({ found: false });
    expect(readdirSync(join(dirB, 'mibs', 'bundles')).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary left

    // A third node started later gets everything at its first load.
    const dirC = mkdtempSync(join(tmpdir(), 'nw-mibshare-c-'));
    try {
      const c = node(dirC);
      await c.load();
      expect(c.dictionary.resolveName('acmeMgmt')).toMatchObject({ found: true });
      expect(c.dictionary.modules().some((m) => m.name === 'LAB-CISCO-TC')).toBe(true);
    } finally {
      rmSync(dirC, { recursive: true, force: true });
    }
  }, 120_000);

  it('rewrites a file whose bytes differ from the stored ones (a node that missed a replacement)', async () => {
    const repo = new MibUploadRepository(db);
    const text = fixture('ACME-SMI.txt');
    repo.putFile('ACME-SMI.txt', Buffer.from(text), 1);
    const first = syncSharedMibs(join(dirB, 'mibs'), repo);
    expect(first).toEqual({ written: 1, bundles: 0, invalid: 0 });
    writeFileSync(join(dirB, 'mibs', 'ACME-SMI.txt'), '-- stale\n');
    expect(syncSharedMibs(join(dirB, 'mibs'), repo)).toEqual({ written: 1, bundles: 0, invalid: 0 });
    expect(readFileSync(join(dirB, 'mibs', 'ACME-SMI.txt'), 'utf8')).toBe(text);
    expect(syncSharedMibs(join(dirB, 'mibs'), repo)).toEqual({ written: 0, bundles: 0, invalid: 0 });
  });

  it('skips and counts stored rows whose path no upload makes: nothing is written outside the MIB directory', () => {
    const repo = new MibUploadRepository(db);
    const put = db.prepare('INSERT INTO mib_uploads (path, bundle, sha256, content, uploaded_at) VALUES (?, ?, ?, ?, 1)');
    const evil = Buffer.from('EVIL DEFINITIONS ::= BEGIN END\n');
    const rows: Array<[string, string | null]> = [
      ['../escape.txt', null],
      ['/tmp/absolute.txt', null],
      ['.hidden', null],
      ['sub/dir.txt', null],
      ['bundles/x/../../escape2.txt', 'x'],
      ['bundles/../escape3.txt', '..'],
      ['bundles/y/file.my', 'z'], // the bundle column and the path disagree
      ['bundles/.tmp/file.my', '.tmp'],
      ['bundles/ok/../ok.my', 'ok'],
      ['constructor', null], // a fine file name: written as a file, never a key
    ];
    for (const [path, bundle] of rows) put.run(path, bundle, sha256Hex(evil), evil);
    const mibDir = join(dirB, 'mibs');
    expect(syncSharedMibs(mibDir, repo)).toEqual({ written: 1, bundles: 0, invalid: 9 });
    expect(readdirSync(mibDir)).toEqual(['constructor']);
    expect(existsSync(join(dirB, 'escape.txt'))).toBe(false);
    expect(existsSync(join(dirB, 'escape2.txt'))).toBe(false);
    expect(readdirSync(dirB)).toEqual(['mibs']);
  });

  it('keeps bytes that are not UTF-8 (a Latin-1 vendor MIB) exactly', () => {
    const repo = new MibUploadRepository(db);
    const latin1 = Buffer.from('-- Copyright \xa9 Acme \xe9t\xe9 \x00\n', 'latin1');
    repo.replaceBundle('vendor', [{ file: 'ACME.my', content: latin1 }], 5);
    expect(repo.list()).toEqual([{ path: 'bundles/vendor/ACME.my', bundle: 'vendor', sha256: sha256Hex(latin1), uploadedAt: 5 }]);
    expect(repo.content('bundles/vendor/ACME.my')!.equals(latin1)).toBe(true);
    expect(syncSharedMibs(join(dirB, 'mibs'), repo)).toEqual({ written: 0, bundles: 1, invalid: 0 });
    expect(readFileSync(join(dirB, 'mibs', 'bundles', 'vendor', 'ACME.my')).equals(latin1)).toBe(true);
    repo.replaceBundle('vendor', [], 6);
    expect(repo.list()).toEqual([]);
    expect(repo.content('bundles/vendor/ACME.my')).toBeNull();
  });
});
