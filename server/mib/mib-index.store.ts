/**
 * The compiled MIB index, persisted as one JSON file in the data directory.
 * Files are keyed by content hash (what modules they hold, or why they failed
 * to parse); compiled modules by their key (own hash + imported modules' keys).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MibError } from '../contracts/mib.js';
import type { CompiledModule, ModuleHeader } from './mib-types.js';

export const INDEX_VERSION = 3;

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

export const emptyIndex = (): MibIndexData => ({ version: INDEX_VERSION, files: {}, modules: {} });

/** Loads the index; a missing, unreadable or older-format file yields an empty one (a cold compile). */
export function readIndex(path: string): MibIndexData {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as MibIndexData;
    if (data?.version !== INDEX_VERSION || typeof data.files !== 'object' || typeof data.modules !== 'object') return emptyIndex();
    return data;
  } catch {
    return emptyIndex();
  }
}

/** Writes atomically (temp file + rename) so a crash never leaves half an index. */
export function writeIndex(path: string, data: MibIndexData): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, path);
}
