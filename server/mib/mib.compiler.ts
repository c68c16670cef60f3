/**
 * Compiles one parsed module into dictionary nodes, given the already compiled
 * modules it imports from. Pure: no I/O. Unresolvable definitions become
 * warnings on the module; they never throw.
 */
import type { MibError, MibIndexPart, MibNode, MibNodeKind } from '../contracts/mib.js';
import type { ParsedDef, ParsedModule, ParsedType } from './mib.parser.js';
import { PRIMITIVE_TYPES, type CompiledModule, type TypeInfo } from './mib-types.js';

const ROOTS: Record<string, string> = { ccitt: '0', iso: '1', 'joint-iso-ccitt': '2' };

export interface Symbol {
  oid?: string;
  type?: TypeInfo;
  module: string;
  node?: MibNode;
}

export interface CompileInput {
  parsed: ParsedModule;
  file: string;
  hash: string;
  key: string;
  /** Compiled modules by name (at least every module this one imports). */
  deps: ReadonlyMap<string, CompiledModule>;
  /** Last resort for names used without IMPORTS (common in SMIv1 MIBs): base modules' symbols. */
  fallback: (name: string) => Symbol | undefined;
}

const symbolCache = new WeakMap<CompiledModule, Map<string, Symbol>>();

/** Every name a compiled module defines (nodes and types), cached per module object. */
export function symbolsOf(mod: CompiledModule): Map<string, Symbol> {
  const cached = symbolCache.get(mod);
  if (cached) return cached;
  const out = new Map<string, Symbol>();
  symbolCache.set(mod, out);
  for (const n of mod.nodes) out.set(n.name, { oid: n.oid, module: mod.name, node: n });
  for (const [name, type] of Object.entries(mod.types)) out.set(name, { ...out.get(name), type, module: mod.name });
  return out;
}

export function compileModule(input: CompileInput): CompiledModule {
  const { parsed, file } = input;
  const errors: MibError[] = [];
  const warn = (reason: string, line: number | null) => errors.push({ module: parsed.name, file, reason, line });

  // Imported symbols.
  const imported = new Map<string, Symbol>();
  for (const imp of parsed.imports) {
    const dep = input.deps.get(imp.module);
    if (!dep) continue; // the loader refuses modules with missing imports before getting here
    const syms = symbolsOf(dep);
    for (const s of imp.symbols) {
      const sym = syms.get(s);
      if (sym) imported.set(s, sym);
    }
  }
  const lookup = (name: string): Symbol | undefined => imported.get(name) ?? input.fallback(name);

  // Types: local textual conventions and type assignments, resolved through imports.
  const localTypes = new Map(parsed.defs.filter((d) => d.macro === 'TEXTUAL-CONVENTION' || d.macro === 'TYPE').map((d) => [d.name, d]));
  const types: Record<string, TypeInfo> = {};
  const typeOf = (name: string, seen = new Set<string>()): TypeInfo | undefined => {
    // SEQUENCE/CHOICE: the structure types of rows (`IfEntry ::= SEQUENCE {…}`) and of SNMPv2-PDU.
    if (PRIMITIVE_TYPES.has(name) || name === 'SEQUENCE' || name === 'CHOICE') return { baseType: name, enums: null, displayHint: null };
    if (types[name]) return types[name];
    const local = localTypes.get(name);
    if (local?.syntax && !seen.has(name)) {
      seen.add(name);
      const inner = typeOf(local.syntax.name, seen);
      if (!inner) return undefined;
      const t: TypeInfo = {
        baseType: inner.baseType,
        enums: local.syntax.enums ?? inner.enums,
        displayHint: local.displayHint ?? inner.displayHint,
      };
      types[name] = t;
      return t;
    }
    return lookup(name)?.type;
  };
  for (const d of localTypes.values()) {
    if (d.syntax && !d.syntax.name.startsWith('SEQUENCE OF') && !typeOf(d.name)) {
      warn(`type ${d.name}: unknown base type ${d.syntax.name}`, d.line);
    }
  }

  // OIDs: resolve value assignments until nothing more resolves (forward references are legal).
  const oids = new Map<string, string>();
  const oidOf = (name: string): string | undefined => oids.get(name) ?? lookup(name)?.oid ?? ROOTS[name];
  const withOid = parsed.defs.filter((d) => d.oid || d.trapNumber !== undefined);
  let pending = withOid;
  for (;;) {
    const left: ParsedDef[] = [];
    for (const d of pending) {
      const oid = resolveOid(d, oidOf);
      if (oid) oids.set(d.name, oid);
      else left.push(d);
    }
    if (left.length === 0 || left.length === pending.length) {
      for (const d of left) {
        const parent = d.trapNumber !== undefined ? (d.enterprise ?? '(no ENTERPRISE)') : (d.oid?.[0]?.name ?? '?');
        warn(`${d.name}: cannot resolve its OID (unknown parent "${parent}")`, d.line);
      }
      break;
    }
    pending = left;
  }

  // Nodes.
  const defsByName = new Map(withOid.map((d) => [d.name, d]));
  const rowNames = new Set(withOid.filter((d) => d.macro === 'OBJECT-TYPE' && (d.index || d.augments)).map((d) => d.name));
  const rowOids = new Set([...rowNames].map((n) => oids.get(n)).filter((o): o is string => !!o));
  const moduleOfName = (name: string): string | null => (defsByName.has(name) ? parsed.name : (lookup(name)?.module ?? null));
  const indexOf = (d: ParsedDef, depth = 0): MibIndexPart[] | null => {
    if (d.index) return d.index.map((p) => ({ name: p.name, module: moduleOfName(p.name), implied: p.implied }));
    if (d.augments && depth < 5) {
      const local = defsByName.get(d.augments);
      if (local) return indexOf(local, depth + 1);
      const remote = lookup(d.augments)?.node;
      if (remote?.index) return remote.index;
      warn(`${d.name}: AUGMENTS ${d.augments}, whose INDEX is unknown`, d.line);
    }
    return null;
  };

  const nodes: MibNode[] = [];
  for (const d of withOid) {
    const oid = oids.get(d.name);
    if (!oid) continue;
    const kind = kindOf(d, oid, rowOids);
    const syn = syntaxInfo(d.syntax, typeOf);
    nodes.push({
      oid,
      name: d.name,
      module: parsed.name,
      kind,
      syntax: syn.syntax,
      baseType: syn.baseType,
      enums: syn.enums,
      displayHint: syn.displayHint,
      units: d.units ?? null,
      access: d.access ?? null,
      status: d.status ?? null,
      description: d.description ?? null,
      index: kind === 'row' ? indexOf(d) : null,
      augments: d.augments ?? null,
      objects: d.objects ?? null,
    });
  }

  const smiV2 = parsed.defs.some((d) => d.macro === 'MODULE-IDENTITY');
  return {
    name: parsed.name,
    file,
    hash: input.hash,
    key: input.key,
    status: errors.length ? 'warning' : 'ok',
    errors,
    imports: parsed.imports.map((i) => i.module),
    smiV2,
    nodes,
    types,
  };
}

function resolveOid(d: ParsedDef, oidOf: (name: string) => string | undefined): string | undefined {
  if (d.trapNumber !== undefined) {
    const ent = d.enterprise ? oidOf(d.enterprise) : undefined;
    return ent ? `${ent}.0.${d.trapNumber}` : undefined;
  }
  const parts = d.oid!;
  const first = parts[0]!;
  let base: string | undefined;
  if (first.name !== undefined) base = oidOf(first.name) ?? (first.num !== undefined ? String(first.num) : undefined);
  else base = String(first.num);
  if (base === undefined) return undefined;
  const rest: number[] = [];
  for (const p of parts.slice(1)) {
    if (p.num === undefined) return undefined; // a bare name after the first arc is not valid SMI
    rest.push(p.num);
  }
  return rest.length ? `${base}.${rest.join('.')}` : base;
}

function kindOf(d: ParsedDef, oid: string, rowOids: Set<string>): MibNodeKind {
  switch (d.macro) {
    case 'OBJECT-TYPE': {
      if (d.syntax?.name.startsWith('SEQUENCE OF')) return 'table';
      if (d.index || d.augments) return 'row';
      const parent = oid.slice(0, oid.lastIndexOf('.'));
      return rowOids.has(parent) ? 'column' : 'scalar';
    }
    case 'NOTIFICATION-TYPE':
    case 'TRAP-TYPE':
      return 'notification';
    case 'OBJECT-GROUP':
    case 'NOTIFICATION-GROUP':
      return 'group';
    case 'MODULE-COMPLIANCE':
      return 'compliance';
    case 'AGENT-CAPABILITIES':
      return 'capabilities';
    case 'MODULE-IDENTITY':
      return 'module-identity';
    case 'OBJECT-IDENTITY':
      return 'object-identity';
    default:
      return 'node';
  }
}

function syntaxInfo(
  syntax: ParsedType | undefined,
  typeOf: (name: string) => TypeInfo | undefined,
): { syntax: string | null; baseType: string | null; enums: Record<string, string> | null; displayHint: string | null } {
  if (!syntax) return { syntax: null, baseType: null, enums: null, displayHint: null };
  if (syntax.name.startsWith('SEQUENCE OF')) return { syntax: syntax.name, baseType: 'SEQUENCE OF', enums: null, displayHint: null };
  const t = typeOf(syntax.name);
  const list = syntax.enums ?? t?.enums ?? null;
  const baseType = t?.baseType ?? null;
  return {
    syntax: syntax.name,
    baseType,
    enums: list ? Object.fromEntries(list.map(([label, n]) => [String(n), label])) : null,
    displayHint: t?.displayHint ?? null,
  };
}
