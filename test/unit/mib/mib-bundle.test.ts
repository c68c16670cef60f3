import { rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import * as tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, extractBundle, MibBundleError, safeEntryPath, DEFAULT_BUNDLE_LIMITS } from '../../../server/mib/mib-bundle.js';
import { bundleName } from '../../../server/mib/mib-bundle.load.js';
import { addSymlink, LAB_SMI, LAB_TC, labBundleFiles, packWithCli, writeTree } from '../../helpers/mib-bundle.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(extra?: (dir: string) => void): string {
  const d = writeTree(labBundleFiles());
  extra?.(d);
  dirs.push(d);
  return d;
}

/** A tar built entry by entry with tar-stream (for entries the CLI will not write). */
async function tarOf(entries: { name: string; body?: string; type?: 'file' | 'symlink' | 'link' | 'character-device'; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  // streamx types 'data' as unknown; tar-stream's pack emits Buffers.
  pack.on('data', (c) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, ...(e.type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}) }, e.body ?? '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function refused(p: Promise<unknown>): Promise<MibBundleError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MibBundleError);
  return err as MibBundleError;
}

describe('MIB bundle extraction', () => {
  it('reads the MIB files of a tar.gz, a tar and a zip made by the real CLIs, and lists what it skipped', async () => {
    const d = tree();
    for (const kind of ['tar.gz', 'tar', 'zip'] as const) {
      const ex = await extractBundle(packWithCli(d, kind), `vendor.${kind}`);
      expect(ex.format).toBe(kind);
      expect(ex.files.map((f) => f.path).sort()).toEqual(
        ['lab-mibs/v1/LAB-CISCO-TC-V1.my', 'lab-mibs/v2/LAB-BROKEN-MIB.my', 'lab-mibs/v2/LAB-CISCO-SYSLOG-MIB.my', 'lab-mibs/v2/LAB-CISCO-TC.my', 'lab-mibs/v2/LAB-ORPHAN-MIB.txt', 'lab-mibs/v2/smi/LAB-CISCO-SMI.my'],
      );
      expect(ex.skipped).toEqual(expect.arrayContaining([
        { path: 'lab-mibs/README.txt', reason: expect.stringMatching(/not a MIB/) },
        { path: 'lab-mibs/logo.png', reason: expect.stringMatching(/binary/) },
      ]));
    }
  });

  it('detects the format by magic bytes, whatever the name says', async () => {
    const d = tree();
    const zip = packWithCli(d, 'zip');
    expect(detectFormat(zip)).toBe('zip');
    expect((await extractBundle(zip, 'mislabelled.tar.gz')).format).toBe('zip');
    const wrong = await refused(extractBundle(Buffer.from(LAB_SMI), 'LAB.zip'));
    expect(wrong.status).toBe(415);
    expect(wrong.message).toMatch(/not a zip archive/);
    expect((await refused(extractBundle(Buffer.alloc(4096, 7), 'noise.tar.gz'))).status).toBe(415);
  });

  it('never follows symbolic or hard links, devices or paths that climb out', async () => {
    const d = tree((dir) => addSymlink(dir, '/etc/passwd', 'lab-mibs/v2/PASSWD-MIB.my'));
    for (const kind of ['tar.gz', 'zip'] as const) {
      const ex = await extractBundle(packWithCli(d, kind, { symlinks: true }), `links.${kind}`);
      expect(ex.skipped).toContainEqual({ path: 'lab-mibs/v2/PASSWD-MIB.my', reason: expect.stringMatching(/symbolic link/) });
      expect(ex.files.some((f) => f.path.includes('PASSWD'))).toBe(false);
    }
    const t = await tarOf([
      { name: '../../x/EVIL-MIB.my', body: LAB_TC },
      { name: '/etc/ABS-MIB.my', body: LAB_TC },
      { name: 'ok/LAB-CISCO-SMI.my', body: LAB_SMI },
      { name: 'ok/HARD.my', type: 'link', linkname: 'ok/LAB-CISCO-SMI.my' },
      { name: 'ok/null.my', type: 'character-device' },
    ]);
    const ex = await extractBundle(t, 'evil.tar');
    expect(ex.files.map((f) => f.path)).toEqual(['ok/LAB-CISCO-SMI.my']);
    expect(ex.skipped).toEqual(expect.arrayContaining([
      { path: '../../x/EVIL-MIB.my', reason: expect.stringMatching(/unsafe path/) },
      { path: '/etc/ABS-MIB.my', reason: expect.stringMatching(/unsafe path/) },
      { path: 'ok/HARD.my', reason: expect.stringMatching(/hard link/) },
      { path: 'ok/null.my', reason: expect.stringMatching(/character-device/) },
    ]));
    const z = zipSync({ '../../x/EVIL-MIB.my': Buffer.from(LAB_TC), 'ok/LAB-CISCO-SMI.my': Buffer.from(LAB_SMI) });
    const exz = await extractBundle(z, 'evil.zip');
    expect(exz.files.map((f) => f.path)).toEqual(['ok/LAB-CISCO-SMI.my']);
    expect(exz.skipped).toContainEqual({ path: '../../x/EVIL-MIB.my', reason: expect.stringMatching(/unsafe path/) });
  });

  it('refuses compression bombs, too many entries and oversize totals; skips oversize files', async () => {
    const zeros = Buffer.alloc(20 * 1024 * 1024);
    const bombZip = zipSync({ 'BOMB-MIB.my': zeros }, { level: 9 });
    const z = await refused(extractBundle(bombZip, 'bomb.zip'));
    expect(z.status).toBe(413);
    expect(z.message).toMatch(/compression bomb/);
    const bombTgz = gzipSync(await tarOf([{ name: 'BOMB-MIB.my', body: zeros.toString('latin1') }]), { level: 9 });
    expect((await refused(extractBundle(bombTgz, 'bomb.tgz'))).message).toMatch(/compression bomb|unpacks to more/);
    const small = { ...DEFAULT_BUNDLE_LIMITS, maxTotalBytes: 64 * 1024 };
    expect((await refused(extractBundle(bombTgz, 'bomb.tgz', small))).message).toMatch(/unpacks to more than/);

    const many: Record<string, Uint8Array> = Object.create(null);
    for (let i = 0; i < 100_000; i++) many[`f/${i}.txt`] = new Uint8Array([65]);
    const manyZip = zipSync(many, { level: 0 });
    const m = await refused(extractBundle(manyZip, 'many.zip'));
    expect(m.status).toBe(413);
    expect(m.message).toMatch(/more than 20000 entries/);

    const big = await extractBundle(await tarOf([{ name: 'BIG.my', body: 'x'.repeat(3000) }, { name: 'LAB-CISCO-SMI.my', body: LAB_SMI }]), 'b.tar', { ...DEFAULT_BUNDLE_LIMITS, maxFileBytes: 2048 });
    expect(big.skipped).toContainEqual({ path: 'BIG.my', reason: expect.stringMatching(/larger than/) });
    expect(big.files).toHaveLength(1);
  }, 120_000);

  it('refuses truncated archives with a clear message', async () => {
    const d = tree();
    for (const kind of ['tar.gz', 'zip'] as const) {
      const whole = packWithCli(d, kind);
      const e = await refused(extractBundle(whole.subarray(0, Math.floor(whole.length / 2)), `cut.${kind}`));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/damaged or truncated/);
    }
  });

  it('keeps entry names inside the archive and bundle names safe', () => {
    expect(safeEntryPath('a/./b//c.my')).toBe('a/b/c.my');
    expect(safeEntryPath('a\\..\\..\\c.my')).toBeNull();
    expect(safeEntryPath('C:/x.my')).toBeNull();
    expect(bundleName('../../Cisco MIBs v2.tar.gz')).toBe('Cisco_MIBs_v2');
    expect(bundleName('...zip')).toBe('bundle');
  });
});
