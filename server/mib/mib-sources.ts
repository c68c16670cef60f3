/**
 * Where MIB files come from, in priority order (the first file defining a
 * module wins): uploads, configured extra dirs, the project's `mibs/` folder,
 * the net-snmp locations, then the shipped base modules in `mibs/base/`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MibError } from '../contracts/mib.js';

export interface MibSourceOptions {
  /** The project's `mibs/` folder (its `base/` subfolder holds the always-available base modules). */
  projectDir: string;
  /** `<dataDir>/mibs`: uploaded files (single files at its top, bundles in `bundles/<name>/`). */
  uploadDir: string;
  /** Directories named in config. */
  extraDirs?: string[];
  /** Defaults to /usr/share/snmp/mibs and /var/lib/mibs; tests may replace them. */
  systemDirs?: string[];
}

export const SYSTEM_MIB_DIRS = ['/usr/share/snmp/mibs', '/var/lib/mibs'];

export interface SourceFile {
  path: string;
  hash: string;
  text: string;
}

const SKIP_EXT = /\.(index|md|json|gz|zip|tar|bak|orig|swp|sh|py|pl|c|h|o|so|db)$|~$|^\./i;
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Lists candidate files (recursively; each real file once) in priority order. */
export function listMibFiles(opts: MibSourceOptions): { files: string[]; errors: MibError[] } {
  const dirs: { dir: string; recursive: boolean; exclude?: string }[] = [
    { dir: opts.uploadDir, recursive: true },
    ...(opts.extraDirs ?? []).map((dir) => ({ dir, recursive: true })),
    { dir: opts.projectDir, recursive: true, exclude: join(opts.projectDir, 'base') },
    ...(opts.systemDirs ?? SYSTEM_MIB_DIRS).map((dir) => ({ dir, recursive: true })),
    { dir: join(opts.projectDir, 'base'), recursive: false },
  ];
  const seen = new Set<string>();
  const files: string[] = [];
  const errors: MibError[] = [];
  const walk = (dir: string, recursive: boolean, exclude: string | undefined, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      errors.push({ module: null, file: dir, reason: `cannot read directory: ${(err as Error).message}`, line: null });
      return;
    }
    for (const name of names) {
      if (SKIP_EXT.test(name) || name === 'README' || name === 'LICENSE') continue;
      const full = join(dir, name);
      if (full === exclude) continue;
      let real: string;
      try {
        real = realpathSync(full);
        const st = statSync(real);
        if (st.isDirectory()) {
          if (recursive && depth < 4) walk(full, recursive, exclude, depth + 1);
          continue;
        }
        if (!st.isFile() || st.size > MAX_FILE_BYTES) continue;
      } catch {
        continue; // dangling link
      }
      if (seen.has(real)) continue;
      seen.add(real);
      files.push(full);
    }
  };
  for (const d of dirs) if (existsSync(d.dir)) walk(d.dir, d.recursive, d.exclude, 0);
  return { files, errors };
}

export const hashText = (text: string): string => createHash('sha1').update(text).digest('hex');

/** Reads a file as text (latin1 when it is not valid UTF-8, as some vendor MIBs are). */
export function readSource(path: string): SourceFile {
  const buf = readFileSync(path);
  let text = buf.toString('utf8');
  if (text.includes('\uFFFD')) text = buf.toString('latin1');
  return { path, hash: createHash('sha1').update(buf).digest('hex'), text };
}
