/**
 * Finds MIB files, parses only those whose content hash is new, orders modules
 * by their IMPORTS (by module name), compiles only modules whose key changed
 * (their source or anything they import), and saves the index. A module that
 * fails to parse, misses an import or imports a failed module is reported and
 * skipped; the others load.
 */
import type { MibCompileResult, MibError, MibModuleInfo } from '../contracts/mib.js';
import { compileModule, symbolsOf, type Symbol } from './mib.compiler.js';
import { parseMib, type ParsedModule } from './mib.parser.js';
import { emptyIndex, readIndex, writeIndex, type FileEntry, type MibIndexData } from './mib-index.store.js';
import { hashText, listMibFiles, readSource, type MibSourceOptions } from './mib-sources.js';
import type { CompiledModule, ModuleHeader } from './mib-types.js';
import { MibSyntaxError } from './mib.tokenizer.js';

export interface MibLoadResult {
  result: MibCompileResult;
  modules: CompiledModule[];
  infos: MibModuleInfo[];
}

/** Names usable without IMPORTS, as lenient SMIv1 MIBs do; looked up in these modules. */
const FALLBACK_MODULES = ['SNMPv2-SMI', 'RFC1155-SMI', 'SNMPv2-TC', 'RFC1213-MIB'];

/**
 * Old module names still imported by some MIBs, mapped to the modules that replaced them
 * (the same table net-snmp uses), tried only when the old name is not installed.
 */
const MODULE_ALIASES: Record<string, string[]> = {
  'RFC1065-SMI': ['RFC1155-SMI'],
  'RFC1066-MIB': ['RFC1158-MIB', 'RFC1213-MIB'],
  'RFC1156-MIB': ['RFC1158-MIB', 'RFC1213-MIB'],
  'RFC1158-MIB': ['RFC1213-MIB'],
  'RFC-1213': ['RFC1213-MIB'],
  RFC1212: ['RFC-1212'],
  'RFC1231-MIB': ['TOKENRING-MIB'],
  'RFC1271-MIB': ['RMON-MIB'],
  'RFC1286-MIB': ['BRIDGE-MIB', 'SOURCE-ROUTING-MIB'],
  'RFC1315-MIB': ['FRAME-RELAY-DTE-MIB'],
  'RFC1316-MIB': ['CHARACTER-MIB'],
  'RFC1406-MIB': ['DS1-MIB'],
};

export function loadMibs(opts: MibSourceOptions & { indexPath: string }): MibLoadResult {
  const t0 = performance.now();
  const index = readIndex(opts.indexPath);
  const next = emptyIndex();
  const listed = listMibFiles(opts);
  const fileErrors: MibError[] = [...listed.errors];
  const parsedByHash = new Map<string, ParsedModule[]>();
  let filesCompiled = 0;

  const parseFile = (hash: string, path: string, text: string): FileEntry => {
    filesCompiled++;
    try {
      const mods = parseMib(text);
      parsedByHash.set(hash, mods);
      return { modules: mods.map(headerOf), error: null };
    } catch (err) {
      const line = err instanceof MibSyntaxError ? err.line : null;
      const module = /^\s*([A-Za-z][\w-]*)\s+DEFINITIONS/m.exec(text)?.[1] ?? null;
      return { modules: [], error: { module, reason: (err as Error).message, line } };
    }
  };

  // 1. Files -> module headers (from the index when the hash is known).
  const owners = new Map<string, { header: ModuleHeader; path: string; hash: string }>();
  const shadowed = new Map<string, string[]>();
  const textByHash = new Map<string, { path: string; text: string }>();
  const parseFailures: MibError[] = [];
  for (const path of listed.files) {
    let src;
    try {
      src = readSource(path);
    } catch (err) {
      fileErrors.push({ module: null, file: path, reason: `cannot read: ${(err as Error).message}`, line: null });
      continue;
    }
    if (!/DEFINITIONS/.test(src.text)) continue; // not a MIB
    textByHash.set(src.hash, { path, text: src.text });
    const entry = index.files[src.hash] ?? parseFile(src.hash, path, src.text);
    next.files[src.hash] = entry;
    if (entry.error) {
      parseFailures.push({ ...entry.error, file: path });
      continue;
    }
    for (const header of entry.modules) {
      if (owners.has(header.name)) {
        shadowed.set(header.name, [...(shadowed.get(header.name) ?? []), path]);
      } else owners.set(header.name, { header, path, hash: src.hash });
    }
  }

  // A file that does not parse is listed under its module name unless another file provides that module.
  const failedModules: MibModuleInfo[] = [];
  for (const e of parseFailures) {
    if (e.module && !owners.has(e.module) && !failedModules.some((m) => m.name === e.module)) {
      failedModules.push({ name: e.module, file: e.file, status: 'error', nodes: 0, imports: [], errors: [e], shadowed: [] });
    } else fileErrors.push(e);
  }

  // 2. Dependency order (depth-first on IMPORTS), with missing / failed / cyclic imports reported.
  const compiled = new Map<string, CompiledModule>();
  const failed = new Map<string, MibModuleInfo>(failedModules.map((m) => [m.name, m]));
  const state = new Map<string, 'visiting' | 'done'>();
  let modulesCompiled = 0;
  const fallbackSyms = () => FALLBACK_MODULES.map((m) => compiled.get(m)).filter((m): m is CompiledModule => !!m).map(symbolsOf);
  const fallback = (name: string): Symbol | undefined => {
    for (const syms of fallbackSyms()) {
      const s = syms.get(name);
      if (s) return s;
    }
    return undefined;
  };

  const fail = (name: string, path: string, imports: string[], reason: string, line: number | null) => {
    failed.set(name, { name, file: path, status: 'error', nodes: 0, imports, errors: [{ module: name, file: path, reason, line }], shadowed: shadowed.get(name) ?? [] });
  };

  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    const owner = owners.get(name)!;
    state.set(name, 'visiting');
    const { header, path, hash } = owner;
    const importList = header.imports.flatMap((i) => {
      const aliases = owners.has(i.module) ? undefined : MODULE_ALIASES[i.module]?.filter((a) => owners.has(a));
      return aliases?.length ? aliases.map((module) => ({ module, symbols: i.symbols })) : [i];
    });
    const imports = [...new Set(importList.map((i) => i.module))].filter((m) => m !== name);
    const problems: string[] = [];
    for (const dep of imports) {
      if (!owners.has(dep)) {
        problems.push(failed.has(dep) ? `imports ${dep}, which failed to load` : `imports ${dep}, which is not installed`);
        continue;
      }
      if (state.get(dep) === 'visiting') {
        problems.push(`import cycle through ${dep}`);
        continue;
      }
      visit(dep);
      if (!compiled.has(dep)) problems.push(`imports ${dep}, which failed to load`);
    }
    state.set(name, 'done');
    if (problems.length) {
      fail(name, path, imports, problems.join('; '), header.line);
      return;
    }
    const key = hashText([hash, name, ...imports.map((d) => compiled.get(d)!.key), ...FALLBACK_MODULES.map((m) => compiled.get(m)?.key ?? '')].join('|'));
    let mod = index.modules[key];
    if (!mod) {
      let parsed = parsedByHash.get(hash);
      if (!parsed) {
        const src = textByHash.get(hash)!;
        parseFile(hash, src.path, src.text);
        parsed = parsedByHash.get(hash) ?? [];
      }
      const pm = parsed.find((m) => m.name === name)!;
      mod = compileModule({ parsed: { ...pm, imports: importList }, file: path, hash, key, deps: compiled, fallback });
      modulesCompiled++;
    }
    compiled.set(name, mod);
    next.modules[key] = mod;
  };

  // Base modules first so the lenient fallback is available to everything else.
  for (const m of FALLBACK_MODULES) if (owners.has(m)) visit(m);
  for (const name of [...owners.keys()].sort()) visit(name);

  const modules = [...compiled.values()];
  const infos: MibModuleInfo[] = [
    ...modules.map((m) => ({ name: m.name, file: m.file, status: m.status, nodes: m.nodes.length, imports: m.imports, errors: m.errors, shadowed: shadowed.get(m.name) ?? [] })),
    ...failed.values(),
  ].sort((a, b) => a.name.localeCompare(b.name));

  if (filesCompiled > 0 || modulesCompiled > 0 || Object.keys(index.files).length !== Object.keys(next.files).length) {
    writeIndex(opts.indexPath, next);
  }
  const result: MibCompileResult = {
    filesSeen: listed.files.length,
    filesCompiled,
    modulesCompiled,
    modulesLoaded: modules.length,
    modulesFailed: failed.size,
    nodes: modules.reduce((n, m) => n + m.nodes.length, 0),
    durationMs: Math.round(performance.now() - t0),
    errors: fileErrors,
  };
  return { result, modules, infos };
}

function headerOf(m: ParsedModule): ModuleHeader {
  return { name: m.name, line: m.line, imports: m.imports, smiV2: m.defs.some((d) => d.macro === 'MODULE-IDENTITY') };
}
