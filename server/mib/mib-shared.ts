/**
 * Uploaded MIBs shared by the central nodes of one store (docs/SCALING.md): an upload is kept in the store
 * as well as in `<dataDir>/mibs/`, and each node writes what the store holds and its directory lacks
 * (at start, and on the change notice `mibs`). Files are compared by SHA-256, so only rows that differ
 * are read. Writes are atomic: a single file through a temporary name, a bundle as a whole directory
 * swapped in, as the bundle upload does. Paths come from the store and are checked again here: a row
 * whose path is not one an upload makes is skipped and counted, never written outside the directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { replaceFolder } from './replace-folder.js';

/** The store side (MibUploadRepository). */
export interface MibUploadStore {
  putFile(filename: string, content: Buffer, at: number): void;
  replaceBundle(name: string, files: ReadonlyArray<{ file: string; content: Buffer }>, at: number): void;
  list(): Array<{ path: string; bundle: string | null; sha256: string }>;
  content(path: string): Buffer | null;
}

/** A single upload's file name (as MibService accepts it). */
export const MIB_FILENAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A bundle's folder name (bundleName) and a file in it (the names the bundle upload stores). */
const BUNDLE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const BUNDLE_FILE_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,159}$/;

export interface SharedSyncResult {
  /** Single files written. */
  written: number;
  /** Bundles written (whole). */
  bundles: number;
  /** Rows whose path is not an upload's (skipped). */
  invalid: number;
}

function localHash(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

const tmpName = (dir: string) => join(dir, `.sync-${process.pid}-${randomBytes(4).toString('hex')}`);

/** Writes into `uploadDir` every stored upload it lacks or holds with other bytes. */
export function syncSharedMibs(uploadDir: string, store: MibUploadStore, log?: Logger): SharedSyncResult {
  const out: SharedSyncResult = { written: 0, bundles: 0, invalid: 0 };
  const singles: Array<{ path: string; sha256: string }> = [];
  const bundles = new Map<string, Array<{ path: string; file: string; sha256: string }>>();
  for (const r of store.list()) {
    if (r.bundle === null) {
      if (MIB_FILENAME_RE.test(r.path)) singles.push(r);
      else out.invalid++;
      continue;
    }
    const parts = r.path.split('/');
    if (parts.length !== 3 || parts[0] !== 'bundles' || parts[1] !== r.bundle || !BUNDLE_NAME_RE.test(r.bundle) || !BUNDLE_FILE_RE.test(parts[2]!)) {
      out.invalid++;
      continue;
    }
    let files = bundles.get(r.bundle);
    if (!files) bundles.set(r.bundle, (files = []));
    files.push({ path: r.path, file: parts[2]!, sha256: r.sha256 });
  }
  if (out.invalid > 0) log?.warn({ invalid: out.invalid }, 'stored MIB uploads with a path no upload makes were skipped');
  if (singles.length > 0 || bundles.size > 0) mkdirSync(uploadDir, { recursive: true });

  for (const s of singles) {
    const target = join(uploadDir, s.path);
    if (localHash(target) === s.sha256) continue;
    const content = store.content(s.path);
    if (!content) continue; // gone meanwhile
    const tmp = tmpName(uploadDir);
    writeFileSync(tmp, content);
    renameSync(tmp, target);
    out.written++;
  }

  const root = join(uploadDir, 'bundles');
  for (const [name, files] of bundles) {
    const dir = join(root, name);
    if (sameBundle(dir, files)) continue;
    replaceFolder(root, name, (tmp) => {
      for (const f of files) {
        const content = store.content(f.path);
        if (content) writeFileSync(join(tmp, f.file), content);
      }
    });
    out.bundles++;
  }
  if (out.written + out.bundles > 0) log?.info({ ...out }, `MIB uploads from the shared store: ${out.written} files and ${out.bundles} bundles written`);
  return out;
}

/** True when the directory holds exactly the stored files, byte for byte. */
function sameBundle(dir: string, files: ReadonlyArray<{ file: string; sha256: string }>): boolean {
  let local: string[];
  try {
    local = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
  } catch {
    return false;
  }
  if (local.length !== files.length) return false;
  for (const f of files) if (localHash(join(dir, f.file)) !== f.sha256) return false;
  return true;
}

/** A bundle's stored files, as the bundle upload wrote them, for the store. */
export function readBundleFiles(uploadDir: string, name: string): Array<{ file: string; content: Buffer }> {
  const dir = join(uploadDir, 'bundles', name);
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort()
    .map((file) => ({ file, content: readFileSync(join(dir, file)) }));
}
