/**
 * The compiled MIB index, persisted as one JSON file in the data directory.
 * Files are keyed by content hash (what modules they hold, or why they failed
 * to parse); compiled modules by their key (own hash + imported modules' keys).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MibError } from '../contracts/mib.js';
import type { CompiledModule, ModuleHeader } from './mib-types.js';

/** Bump whenever the parser or compiler output changes: an older index is then recompiled from scratch. */
export const INDEX_VERSION = 6;

export interface FileEntry {
  modules: ModuleHeader[];
  /** Set when the file does not parse. */
  error: Omit<MibError, 'file'> | null;
}

export interface MibIndexData {
  version: number;
  files: Record<string, FileEntry>;
  modules: Record<string, CompiledModule>;
}

const NODE_FIELDS = ['syntax', 'baseType', 'enums', 'displayHint', 'units', 'access', 'status', 'description', 'index', 'augments', 'objects'] as const;

export const emptyIndex = (): MibIndexData => ({ version: INDEX_VERSION, files: {}, modules: {} });

/** Loads the index; a missing, unreadable or older-format file yields an empty one (a cold compile). */
export function readIndex(path: string): MibIndexData {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as MibIndexData;
    if (data?.version !== INDEX_VERSION || typeof data.files !== 'object' || typeof data.modules !== 'object') return emptyIndex();
    for (const m of Object.values(data.modules)) {
      for (const n of m.nodes) {
        for (const f of NODE_FIELDS) (n as unknown as Record<string, unknown>)[f] ??= null;
        for (const p of n.index ?? []) p.module ??= null;
      }
      for (const t of Object.values(m.types)) {
        t.enums ??= null;
        t.displayHint ??= null;
      }
      for (const e of m.errors) {
        e.line ??= null;
        e.module ??= null;
      }
    }
    for (const f of Object.values(data.files)) {
      f.error ??= null;
      if (f.error) {
        f.error.line ??= null;
        f.error.module ??= null;
      }
    }
    return data;
  } catch {
    return emptyIndex();
  }
}

/** Writes atomically (temp file + rename) so a crash never leaves half an index. */
export function writeIndex(path: string, data: MibIndexData): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  // Null fields are left out (about a quarter of the file) and restored on read.
  writeFileSync(tmp, JSON.stringify(data, (_k, v: unknown) => (v === null ? undefined : v)));
  renameSync(tmp, path);
}
