/**
 * Installs a MIB bundle and compiles: unpack in memory (mib-bundle.ts), store the MIB files under
 * `<uploadDir>/bundles/<name>/` (flat, under names we choose; written to a temp dir and renamed, so a
 * refused bundle leaves the installed MIBs as they were), run the normal load (dependency order,
 * index reuse), and build one report for the bundle. Runs in the MIB worker thread.
 */
import { writeFileSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import type { MibBundleReport } from '../contracts/mib.js';
import { extractBundle, MibBundleError, type BundleLimits } from './mib-bundle.js';
import { loadMibs, type MibLoadResult } from './mib.loader.js';
import { replaceFolder } from './replace-folder.js';

export interface BundleLoadInput {
  opts: Parameters<typeof loadMibs>[0];
  filename: string;
  data: Uint8Array;
  limits: BundleLimits;
}

export interface BundleLoadResult {
  loaded: MibLoadResult;
  report: MibBundleReport;
}

const MODULE_NAMES = /(?:^|\s)([A-Za-z][\w-]*)\s+(?:PIB-)?DEFINITIONS(?:\s+[A-Z]+\s+TAGS)?\s*::=\s*BEGIN/g;
const NOT_INSTALLED = /imports (\S+), which is not installed/g;

/** The folder name a bundle is stored under: its file name without the archive extension, made safe. */
export function bundleName(filename: string): string {
  const stem = basename(filename.replace(/\\/g, '/')).replace(/\.(tar\.gz|tgz|tar|zip)$/i, '');
  const safe = stem.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '').slice(0, 100);
  return safe || 'bundle';
}

export async function loadBundle(input: BundleLoadInput): Promise<BundleLoadResult> {
  const t0 = performance.now();
  const ex = await extractBundle(input.data, input.filename, input.limits);
  if (ex.files.length === 0) {
    throw new MibBundleError(`${input.filename} holds no MIB module (${ex.skipped.length} files skipped)`);
  }
  const name = bundleName(input.filename);
  const root = join(input.opts.uploadDir, 'bundles');
  // Stored name -> path in the archive. Stored names are the entry's base name, made safe and unique.
  const origin = new Map<string, string>();
  replaceFolder(root, name, (tmp) => {
    for (const f of ex.files) {
      let stored = basename(f.path).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120) || 'mib';
      // The loader skips some extensions (.json, .md, ...) and names starting with a dot; MIBs keep theirs.
      if (/\.(index|md|json|gz|zip|tar|bak|orig|swp|sh|py|pl|c|h|o|so|db)$|~$/i.test(stored)) stored += '.mib';
      for (let i = 2; origin.has(stored.toLowerCase()); i++) stored = `${i}-${basename(stored).replace(/^\d+-/, '')}`;
      origin.set(stored.toLowerCase(), f.path);
      writeFileSync(join(tmp, stored), f.text, 'latin1' === detectEncoding(f.text) ? 'latin1' : 'utf8');
    }
  });
  const loaded = loadMibs(input.opts);
  return { loaded, report: buildReport(name, join(root, name), ex, origin, loaded, Math.round(performance.now() - t0)) };
}

/** Text read as latin1 by the extractor is written back as latin1 (same bytes as in the archive). */
function detectEncoding(text: string): 'utf8' | 'latin1' {
  // Characters above U+00FF cannot come from a latin1 decode; only then is the text UTF-8.
  return /[^\u0000-\u00ff]/.test(text) ? 'utf8' : 'latin1';
}

function buildReport(
  name: string,
  dir: string,
  ex: Awaited<ReturnType<typeof extractBundle>>,
  origin: ReadonlyMap<string, string>,
  loaded: MibLoadResult,
  durationMs: number,
): MibBundleReport {
  const prefix = dir + sep;
  const inBundle = (file: string) => file.startsWith(prefix);
  const archivePath = (file: string) => origin.get(file.slice(prefix.length).toLowerCase()) ?? basename(file);
  const modules = loaded.infos.filter((m) => inBundle(m.file)).map((m) => ({ ...m, path: archivePath(m.file) }));
  const failed = modules.filter((m) => m.status === 'error').map((m) => ({ module: m.name, path: m.path, reason: m.errors.map((e) => e.reason).join('; ') }));
  const missing = new Map<string, Set<string>>();
  for (const m of modules) {
    for (const e of m.errors) {
      for (const hit of e.reason.matchAll(NOT_INSTALLED)) {
        const set = missing.get(hit[1]!) ?? new Set<string>();
        set.add(m.name);
        missing.set(hit[1]!, set);
      }
    }
  }
  const skipped = [...ex.skipped];
  for (const e of loaded.result.errors) {
    if (inBundle(e.file)) skipped.push({ path: archivePath(e.file), reason: `does not parse${e.line ? ` (line ${e.line})` : ''}: ${e.reason}` });
  }
  // Modules the bundle defines twice, or that another installed file also defines.
  const duplicates: MibBundleReport['duplicates'] = [];
  const definedBy = new Map<string, string[]>();
  for (const f of ex.files) {
    for (const hit of f.text.matchAll(MODULE_NAMES)) {
      const list = definedBy.get(hit[1]!) ?? [];
      if (!list.includes(f.path)) list.push(f.path);
      definedBy.set(hit[1]!, list);
    }
  }
  const infoByName = new Map(loaded.infos.map((m) => [m.name, m]));
  for (const [module, paths] of definedBy) {
    const info = infoByName.get(module);
    if (!info) continue;
    const used = inBundle(info.file) ? archivePath(info.file) : info.file;
    const others = [...paths.filter((p) => p !== used), ...info.shadowed.filter((f) => !inBundle(f))];
    if (others.length) duplicates.push({ module, used, others });
  }
  return {
    bundle: name,
    format: ex.format,
    entries: ex.entries,
    files: origin.size,
    modules,
    compiled: modules.filter((m) => m.status !== 'error').map((m) => m.name),
    failed,
    missingImports: [...missing].map(([module, by]) => ({ module, importedBy: [...by].sort() })).sort((a, b) => a.module.localeCompare(b.module)),
    skipped,
    duplicates,
    durationMs,
  };
}
