/**
 * Vendor MIB bundles: a `.tar`, `.tar.gz`/`.tgz` or `.zip` archive unpacked IN MEMORY (nothing from
 * the archive is ever written under a name it chose), with limits on entry count, total and per-file
 * size and compression ratio. Only regular files that look like MIB modules are kept; everything else
 * (links, devices, unsafe paths, binaries, other text) is skipped and listed with its reason.
 * Format detection is by magic bytes; the file name only has to agree with them.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import { unzipSync } from 'fflate';
import * as tar from 'tar-stream';
import type { MibBundleSkip } from '../contracts/mib.js';

const gunzip = promisify(gunzipCb);

export type BundleFormat = 'zip' | 'tar' | 'tar.gz';

export interface BundleLimits {
  /** Entries of any kind (files, directories, links). */
  maxEntries: number;
  /** Bytes all entries unpack to together. */
  maxTotalBytes: number;
  /** Larger files are skipped (and listed). */
  maxFileBytes: number;
  /** Unpacked / packed size, for the whole gzip stream and for each zip entry. */
  maxRatio: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxEntries: 20_000, maxTotalBytes: 256 * 1024 ** 2, maxFileBytes: 8 * 1024 ** 2, maxRatio: 200 };

export interface BundleFile {
  /** The entry's path inside the archive (for reports only; never used to write). */
  path: string;
  text: string;
}

export interface ExtractedBundle {
  format: BundleFormat;
  entries: number;
  files: BundleFile[];
  skipped: MibBundleSkip[];
}

/** The archive is refused as a whole: `status` 400 (bad archive), 413 (over a limit) or 415 (not an archive). */
export class MibBundleError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
    this.name = 'MibBundleError';
  }
}

/** Archive names the upload accepts as bundles (the content must still be one). */
export const BUNDLE_NAME_RE = /\.(tar\.gz|tgz|tar|zip)$/i;

export function detectFormat(buf: Uint8Array): 'zip' | 'gzip' | 'tar' | null {
  if (buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && ((buf[2] === 3 && buf[3] === 4) || (buf[2] === 5 && buf[3] === 6))) return 'zip';
  if (buf.length >= 3 && buf[0] === 0x1f && buf[1] === 0x8b && buf[2] === 8) return 'gzip';
  if (buf.length >= 512 && Buffer.from(buf.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  return null;
}

const mib = (n: number) => `${Math.round((n / 1024 ** 2) * 10) / 10} MiB`;

/** Entry path with `/` separators, or null when it is absolute or climbs out (`..`). */
export function safeEntryPath(name: string): string | null {
  const p = name.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\0')) return null;
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..')) return null;
  return parts.join('/');
}

/** Looks like an SMI module: a `NAME DEFINITIONS ::= BEGIN` header, no NUL bytes. */
const MODULE_HEADER = /(^|\s)[A-Za-z][\w-]*\s+(PIB-)?DEFINITIONS(\s+[A-Z]+\s+TAGS)?\s*::=\s*BEGIN/;

function classify(path: string, data: Uint8Array, limits: BundleLimits, out: ExtractedBundle): void {
  if (data.length > limits.maxFileBytes) {
    out.skipped.push({ path, reason: `larger than ${mib(limits.maxFileBytes)}` });
    return;
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.includes(0)) {
    out.skipped.push({ path, reason: 'binary file, not a MIB' });
    return;
  }
  let text = buf.toString('utf8');
  if (text.includes('\uFFFD')) text = buf.toString('latin1'); // as mib-sources reads vendor files
  if (!MODULE_HEADER.test(text)) {
    out.skipped.push({ path, reason: 'not a MIB module (no "NAME DEFINITIONS ::= BEGIN")' });
    return;
  }
  out.files.push({ path, text });
}

/** Unpacks a bundle; throws {@link MibBundleError} when the archive is refused as a whole. */
export async function extractBundle(data: Uint8Array, filename: string, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): Promise<ExtractedBundle> {
  const kind = detectFormat(data);
  const claimed = BUNDLE_NAME_RE.exec(filename)?.[1]?.toLowerCase();
  if (!kind) {
    throw new MibBundleError(
      claimed ? `${filename} is not a ${claimed} archive (its first bytes are not a zip, gzip or tar header)` : `${filename} is not a tar, tar.gz or zip archive`,
      415,
    );
  }
  if (kind === 'zip') return extractZip(data, limits);
  let tarData: Uint8Array = data;
  let format: BundleFormat = 'tar';
  if (kind === 'gzip') {
    format = 'tar.gz';
    try {
      tarData = await gunzip(data, { maxOutputLength: limits.maxTotalBytes + 1 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new MibBundleError(`${filename} unpacks to more than ${mib(limits.maxTotalBytes)}`, 413);
      throw new MibBundleError(`${filename}: gzip data is damaged or truncated (${(err as Error).message})`);
    }
    if (tarData.length > limits.maxTotalBytes) throw new MibBundleError(`${filename} unpacks to more than ${mib(limits.maxTotalBytes)}`, 413);
    if (tarData.length > data.length * limits.maxRatio) {
      throw new MibBundleError(`${filename} unpacks to ${Math.round(tarData.length / data.length)} times its size (limit ${limits.maxRatio}): refused as a compression bomb`, 413);
    }
    if (detectFormat(tarData) !== 'tar') throw new MibBundleError(`${filename}: the gzip data is not a tar archive`, 415);
  }
  return extractTar(tarData, format, filename, limits);
}

async function extractTar(data: Uint8Array, format: BundleFormat, filename: string, limits: BundleLimits): Promise<ExtractedBundle> {
  const out: ExtractedBundle = { format, entries: 0, files: [], skipped: [] };
  const ex = tar.extract();
  ex.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  let total = 0;
  try {
    for await (const entry of ex) {
      const h = entry.header;
      if (++out.entries > limits.maxEntries) {
        entry.resume();
        throw new MibBundleError(`${filename} holds more than ${limits.maxEntries} entries`, 413);
      }
      const path = safeEntryPath(h.name);
      const shown = path ?? h.name.slice(0, 200);
      const type: string = h.type ?? 'file';
      const size = h.size ?? 0;
      total += size;
      if (total > limits.maxTotalBytes) {
        entry.resume();
        throw new MibBundleError(`${filename} unpacks to more than ${mib(limits.maxTotalBytes)}`, 413);
      }
      const skip = (reason: string) => {
        out.skipped.push({ path: shown, reason });
        entry.resume();
      };
      if (type === 'directory' || type === 'pax-header' || type === 'pax-global-header' || type === 'gnu-long-path' || type === 'gnu-long-link-path') {
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        skip(type === 'symlink' || type === 'link' ? `${type === 'link' ? 'hard link' : 'symbolic link'} (links are not followed)` : `${type} entry (only regular files are read)`);
        continue;
      }
      if (!path) {
        skip('unsafe path (absolute or with "..")');
        continue;
      }
      if (size > limits.maxFileBytes) {
        skip(`larger than ${mib(limits.maxFileBytes)}`);
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      classify(path, Buffer.concat(chunks), limits, out);
    }
  } catch (err) {
    if (err instanceof MibBundleError) throw err;
    throw new MibBundleError(`${filename}: the tar archive is damaged or truncated (${(err as Error).message})`);
  } finally {
    ex.destroy();
  }
  return out;
}

function extractZip(data: Uint8Array, limits: BundleLimits): ExtractedBundle {
  const out: ExtractedBundle = { format: 'zip', entries: 0, files: [], skipped: [] };
  let total = 0;
  const order: string[] = [];
  const seen = new Set<string>();
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data, {
      // Runs before an entry is inflated, with the sizes its central directory declares; fflate
      // inflates into a buffer of the declared size, so a lying entry cannot grow past it.
      filter: (f) => {
        if (++out.entries > limits.maxEntries) throw new MibBundleError(`the zip archive holds more than ${limits.maxEntries} entries`, 413);
        const path = safeEntryPath(f.name);
        const shown = path ?? f.name.slice(0, 200);
        if (f.name.endsWith('/')) return false; // a directory
        if (!path) return skipZip(out, shown, 'unsafe path (absolute or with "..")');
        // fflate returns a plain object keyed by entry name: a `__proto__` entry is never asked for.
        if (f.name === '__proto__' || seen.has(f.name)) return skipZip(out, shown, f.name === '__proto__' ? 'unsafe name' : 'duplicate entry name');
        if (f.compression !== 0 && f.compression !== 8) return skipZip(out, shown, `compression method ${f.compression} is not supported`);
        if (f.compression === 8 && f.originalSize > Math.max(f.size, 1) * limits.maxRatio) {
          throw new MibBundleError(`zip entry ${shown} unpacks to ${Math.round(f.originalSize / Math.max(f.size, 1))} times its size (limit ${limits.maxRatio}): refused as a compression bomb`, 413);
        }
        if (f.originalSize > limits.maxFileBytes) return skipZip(out, shown, `larger than ${mib(limits.maxFileBytes)}`);
        total += f.originalSize;
        if (total > limits.maxTotalBytes) throw new MibBundleError(`the zip archive unpacks to more than ${mib(limits.maxTotalBytes)}`, 413);
        order.push(f.name);
        seen.add(f.name);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof MibBundleError) throw err;
    throw new MibBundleError(`the zip archive is damaged or truncated (${(err as Error).message})`);
  }
  // Symbolic links in zips are regular entries whose data is the target: only the external
  // attributes tell. fflate does not expose them, so read the central directory ourselves.
  const links = zipSymlinks(data);
  for (const name of order) {
    const path = safeEntryPath(name)!;
    if (links.has(name)) {
      out.skipped.push({ path, reason: 'symbolic link (links are not followed)' });
      continue;
    }
    const body = Object.hasOwn(files, name) ? files[name] : undefined;
    if (body) classify(path, body, limits, out);
  }
  return out;
}

function skipZip(out: ExtractedBundle, path: string, reason: string): false {
  out.skipped.push({ path, reason });
  return false;
}

/** Names of zip entries whose Unix mode (external attributes, "made by" Unix) is a symbolic link. */
function zipSymlinks(data: Uint8Array): Set<string> {
  const links = new Set<string>();
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 65_557); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return links;
  const count = b.readUInt16LE(eocd + 10);
  let o = b.readUInt32LE(eocd + 16);
  for (let i = 0; i < count && o + 46 <= b.length && b.readUInt32LE(o) === 0x02014b50; i++) {
    const madeBy = b.readUInt8(o + 5);
    const nameLen = b.readUInt16LE(o + 28);
    const extraLen = b.readUInt16LE(o + 30);
    const commentLen = b.readUInt16LE(o + 32);
    const external = b.readUInt32LE(o + 38);
    const mode = external >>> 16;
    if (madeBy === 3 && (mode & 0o170000) === 0o120000) links.add(b.toString('utf8', o + 46, o + 46 + nameLen));
    o += 46 + nameLen + extraLen + commentLen;
  }
  return links;
}
