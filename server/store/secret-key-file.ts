import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkKey, KEY_BYTES, SecretKeyError, type SecretKey } from './secret-box.js';

/**
 * The key file: one line, `netwatch-secret-key:v1:<kid>:<base64 of 32 bytes>`,
 * mode 0600. During a rotation the next key waits in `<file>.new` until the
 * database has been re-encrypted with it (see secret-store.ts).
 */
const LINE = /^netwatch-secret-key:v1:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})$/;

export const stagedKeyPath = (file: string): string => `${file}.new`;

export function formatKey(k: SecretKey): string {
  return `netwatch-secret-key:v1:${k.kid}:${k.key.toString('base64')}\n`;
}

export function parseKey(text: string, file: string): SecretKey {
  const m = LINE.exec(text.trim());
  if (!m) throw new SecretKeyError(`${file} is not a Netwatch secret key file (expected one line "netwatch-secret-key:v1:<id>:<base64>")`);
  const key = Buffer.from(m[2]!, 'base64');
  if (key.length !== KEY_BYTES) throw new SecretKeyError(`${file} holds a ${key.length}-byte key; it must be ${KEY_BYTES} bytes`);
  return checkKey({ kid: m[1]!, key });
}

/** The key in `file`, or null when there is no such file. */
export function readKeyFile(file: string): SecretKey | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SecretKeyError(`cannot read the secret key file ${file}: ${(err as Error).message}`);
  }
  return parseKey(text, file);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `file` (never overwrites one) with mode 0600 and syncs it and its directory. */
export function writeKeyFile(file: string, k: SecretKey): void {
  let fd: number;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    throw new SecretKeyError(`cannot create the secret key file ${file}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, formatKey(k));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(file));
}

/** Atomically replaces `file` by `<file>.new` (the last step of a rotation). */
export function installStagedKey(file: string): void {
  renameSync(stagedKeyPath(file), file);
  fsyncDir(dirname(file));
}
