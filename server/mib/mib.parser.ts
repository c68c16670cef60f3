/**
 * SMIv1/SMIv2 parser: turns a MIB file into modules with their IMPORTS and
 * definitions (value assignments, OBJECT-TYPE and friends, TEXTUAL-CONVENTIONs
 * and type assignments). MACRO definitions are skipped. Pure: no I/O.
 */
import { MibSyntaxError, tokenize, type Token } from './mib.tokenizer.js';

export interface OidComponent {
  name?: string;
  num?: number;
}

export interface ParsedType {
  /** As written: `INTEGER`, `OCTET STRING`, `OBJECT IDENTIFIER`, `BITS`, `SEQUENCE OF IfEntry`, `DisplayString`… */
  name: string;
  enums: [string, number][] | null;
}

export interface ParsedDef {
  name: string;
  /** `OBJECT IDENTIFIER`, `OBJECT-TYPE`, …, `TEXTUAL-CONVENTION` or `TYPE` (plain type assignment). */
  macro: string;
  line: number;
  oid?: OidComponent[];
  /** TRAP-TYPE: specific trap number. */
  trapNumber?: number;
  syntax?: ParsedType;
  units?: string;
  access?: string;
  status?: string;
  description?: string;
  displayHint?: string;
  index?: { name: string; implied: boolean }[];
  augments?: string;
  objects?: string[];
  enterprise?: string;
}

export interface ParsedModule {
  name: string;
  line: number;
  imports: { module: string; symbols: string[] }[];
  defs: ParsedDef[];
}

const VALUE_MACROS = new Set([
  'OBJECT-TYPE',
  'OBJECT-IDENTITY',
  'MODULE-IDENTITY',
  'NOTIFICATION-TYPE',
  'TRAP-TYPE',
  'OBJECT-GROUP',
  'NOTIFICATION-GROUP',
  'MODULE-COMPLIANCE',
  'AGENT-CAPABILITIES',
]);

/** Clause keywords that end a SYNTAX type. */
const CLAUSES = new Set([
  'SYNTAX', 'UNITS', 'MAX-ACCESS', 'ACCESS', 'MIN-ACCESS', 'STATUS', 'DESCRIPTION', 'REFERENCE', 'INDEX', 'AUGMENTS',
  'DEFVAL', 'OBJECTS', 'ENTERPRISE', 'VARIABLES', 'DISPLAY-HINT', 'LAST-UPDATED', 'ORGANIZATION', 'CONTACT-INFO',
  'REVISION', 'NOTIFICATIONS', 'MODULE', 'MANDATORY-GROUPS', 'GROUP', 'OBJECT', 'WRITE-SYNTAX', 'PRODUCT-RELEASE',
  'SUPPORTS', 'INCLUDES', 'VARIATION', 'CREATION-REQUIRES',
]);

class Cursor {
  pos = 0;
  constructor(readonly toks: Token[]) {}
  peek(o = 0): Token | undefined {
    return this.toks[this.pos + o];
  }
  next(): Token {
    const t = this.toks[this.pos++];
    if (!t) throw new MibSyntaxError('unexpected end of file', this.toks.at(-1)?.line ?? null);
    return t;
  }
  is(text: string, o = 0): boolean {
    return this.toks[this.pos + o]?.text === text;
  }
  expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) throw new MibSyntaxError(`expected "${text}" but found "${t.text}"`, t.line);
    return t;
  }
  ident(): Token {
    const t = this.next();
    if (t.type !== 'ident') throw new MibSyntaxError(`expected a name but found "${t.text}"`, t.line);
    return t;
  }
  str(): string {
    const t = this.next();
    if (t.type !== 'string') throw new MibSyntaxError(`expected a quoted string but found "${t.text}"`, t.line);
    return t.text;
  }
  /** Skips one balanced `{…}`, `(…)` or `[…]` group starting at the current token. */
  skipGroup(): void {
    const open = this.next();
    const close = open.text === '{' ? '}' : open.text === '(' ? ')' : ']';
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.text === open.text) depth++;
      else if (t.text === close) depth--;
    }
  }
  done(): boolean {
    return this.pos >= this.toks.length;
  }
}

const cleanText = (s: string) => s.replace(/\r/g, '');

function parseOidValue(c: Cursor): OidComponent[] {
  c.expect('{');
  const parts: OidComponent[] = [];
  while (!c.is('}')) {
    const t = c.next();
    if (t.type === 'number') parts.push({ num: Number(t.text) });
    else if (t.type === 'ident') {
      if (c.is('(')) {
        c.next();
        const n = c.next();
        if (n.type !== 'number') throw new MibSyntaxError(`expected a number in "${t.text}(…)"`, n.line);
        c.expect(')');
        parts.push({ name: t.text, num: Number(n.text) });
      } else parts.push({ name: t.text });
    } else if (t.text !== ',') throw new MibSyntaxError(`unexpected "${t.text}" in an OID value`, t.line);
  }
  c.expect('}');
  if (parts.length === 0) throw new MibSyntaxError('empty OID value', c.peek(-1)?.line ?? null);
  return parts;
}

function parseNameList(c: Cursor): { name: string; implied: boolean }[] {
  c.expect('{');
  const out: { name: string; implied: boolean }[] = [];
  while (!c.is('}')) {
    const t = c.next();
    if (t.text === ',') continue;
    if (t.text === 'IMPLIED') out.push({ name: c.ident().text, implied: true });
    else if (t.type === 'ident') out.push({ name: t.text, implied: false });
    else throw new MibSyntaxError(`unexpected "${t.text}" in a list of names`, t.line);
  }
  c.expect('}');
  return out;
}

function parseEnums(c: Cursor): [string, number][] {
  c.expect('{');
  const out: [string, number][] = [];
  while (!c.is('}')) {
    const t = c.next();
    if (t.text === ',') continue;
    if (t.type !== 'ident') throw new MibSyntaxError(`unexpected "${t.text}" in an enumeration`, t.line);
    c.expect('(');
    const n = c.next();
    if (n.type !== 'number') throw new MibSyntaxError(`expected a number for "${t.text}"`, n.line);
    c.expect(')');
    out.push([t.text, Number(n.text)]);
  }
  c.expect('}');
  return out;
}

/** A type: tags, base name, then enumerations or constraints. Stops at a clause keyword. */
function parseType(c: Cursor): ParsedType {
  while (c.is('[')) c.skipGroup();
  if (c.is('IMPLICIT') || c.is('EXPLICIT')) c.next();
  const t = c.next();
  let name = t.text;
  if (name === 'OCTET' || name === 'OBJECT') name = `${name} ${c.ident().text}`;
  else if (name === 'SEQUENCE' || name === 'CHOICE') {
    while (c.is('(')) c.skipGroup(); // SEQUENCE (SIZE (…)) OF X
    if (c.is('OF')) {
      c.next();
      name = `SEQUENCE OF ${c.ident().text}`;
    } else {
      c.skipGroup();
      return { name, enums: null };
    }
  } else if (t.type !== 'ident') throw new MibSyntaxError(`expected a type but found "${t.text}"`, t.line);
  let enums: [string, number][] | null = null;
  if (c.is('{')) enums = parseEnums(c);
  while (c.is('(')) c.skipGroup();
  return { name, enums };
}

/** Clauses up to `::=` (or, for a TEXTUAL-CONVENTION, up to and including its final SYNTAX). */
function parseClauses(c: Cursor, def: ParsedDef, stopAfterSyntax = false): void {
  while (!c.done() && !c.is('::=')) {
    const t = c.next();
    switch (t.text) {
      case 'SYNTAX':
        if (!def.syntax) def.syntax = parseType(c);
        else parseType(c);
        if (stopAfterSyntax) return;
        break;
      case 'WRITE-SYNTAX':
        parseType(c);
        break;
      case 'UNITS':
        def.units = c.str();
        break;
      case 'DISPLAY-HINT':
        def.displayHint = c.str();
        break;
      case 'DESCRIPTION':
        if (def.description === undefined) def.description = cleanText(c.str());
        else c.str();
        break;
      case 'MAX-ACCESS':
      case 'ACCESS':
        def.access ??= c.ident().text;
        break;
      case 'STATUS':
        def.status ??= c.ident().text;
        break;
      case 'INDEX':
        def.index = parseNameList(c);
        break;
      case 'AUGMENTS':
        def.augments = parseNameList(c)[0]?.name;
        break;
      case 'OBJECTS':
      case 'VARIABLES':
      case 'NOTIFICATIONS':
        def.objects = [...(def.objects ?? []), ...parseNameList(c).map((x) => x.name)];
        break;
      case 'ENTERPRISE':
        if (c.is('{')) {
          const parts = parseOidValue(c);
          def.enterprise = parts.at(-1)?.name;
        } else def.enterprise = c.ident().text;
        break;
      case 'DEFVAL':
        c.skipGroup();
        break;
      default:
        if (t.text === '{' || t.text === '(' || t.text === '[') {
          c.pos--;
          c.skipGroup();
        }
      // Other clauses (REFERENCE, REVISION, MODULE, GROUP, …) are skipped token by token.
    }
  }
}

function parseImports(c: Cursor): { module: string; symbols: string[] }[] {
  const out: { module: string; symbols: string[] }[] = [];
  let symbols: string[] = [];
  for (;;) {
    const t = c.next();
    if (t.text === ';') break;
    if (t.text === ',') continue;
    if (t.text === 'FROM') {
      const m = c.ident();
      out.push({ module: m.text, symbols });
      symbols = [];
      continue;
    }
    if (t.type !== 'ident') throw new MibSyntaxError(`unexpected "${t.text}" in IMPORTS`, t.line);
    symbols.push(t.text);
  }
  if (symbols.length) throw new MibSyntaxError(`IMPORTS of ${symbols.join(', ')} have no FROM`, c.peek(-1)?.line ?? null);
  return out;
}

function parseAssignment(c: Cursor, mod: ParsedModule): void {
  const head = c.ident();
  // Name MACRO ::= BEGIN … END
  if (c.is('MACRO')) {
    while (!c.done() && c.next().text !== 'END');
    return;
  }
  const def: ParsedDef = { name: head.text, macro: '', line: head.line };
  if (c.is('::=')) {
    // Type assignment: Name ::= TEXTUAL-CONVENTION … | Type
    c.next();
    if (c.is('TEXTUAL-CONVENTION')) {
      c.next();
      def.macro = 'TEXTUAL-CONVENTION';
      parseClauses(c, def, true);
      if (c.is('::=')) throw new MibSyntaxError(`unexpected "::=" in ${head.text}`, c.peek()?.line ?? null);
    } else {
      def.macro = 'TYPE';
      def.syntax = parseType(c);
    }
    mod.defs.push(def);
    return;
  }
  const t = c.next();
  if (t.text === 'OBJECT' && c.is('IDENTIFIER')) {
    c.next();
    def.macro = 'OBJECT IDENTIFIER';
    c.expect('::=');
    def.oid = parseOidValue(c);
    mod.defs.push(def);
    return;
  }
  if (VALUE_MACROS.has(t.text)) {
    def.macro = t.text;
    parseClauses(c, def);
    c.expect('::=');
    if (t.text === 'MODULE-COMPLIANCE' || t.text === 'AGENT-CAPABILITIES') {
      // SYNTAX/ACCESS inside these refine other objects; they are not this node's.
      delete def.syntax;
      delete def.access;
    }
    if (t.text === 'TRAP-TYPE') {
      const n = c.next();
      if (n.type !== 'number') throw new MibSyntaxError(`TRAP-TYPE ${head.text} needs a number`, n.line);
      def.trapNumber = Number(n.text);
    } else def.oid = parseOidValue(c);
    mod.defs.push(def);
    return;
  }
  // Other value assignments (e.g. `x INTEGER ::= 5`): skip the value.
  if (t.type === 'ident') {
    while (!c.done() && !c.is('::=')) {
      if (c.is('{') || c.is('(')) c.skipGroup();
      else c.next();
    }
    c.expect('::=');
    if (c.is('{')) c.skipGroup();
    else c.next();
    return;
  }
  throw new MibSyntaxError(`unexpected "${t.text}" after "${head.text}"`, t.line);
}

/** Parses every module in a file. Throws MibSyntaxError (with a line) on the first error. */
export function parseMib(src: string): ParsedModule[] {
  const c = new Cursor(tokenize(src));
  const modules: ParsedModule[] = [];
  while (!c.done()) {
    // Skip anything before `NAME DEFINITIONS ::= BEGIN` (stray headers, smistrip leftovers).
    if (!(c.peek()?.type === 'ident' && c.is('DEFINITIONS', 1))) {
      c.next();
      continue;
    }
    const nameTok = c.ident();
    c.expect('DEFINITIONS');
    while (!c.is('::=')) c.next(); // e.g. `IMPLICIT TAGS`
    c.expect('::=');
    c.expect('BEGIN');
    const mod: ParsedModule = { name: nameTok.text, line: nameTok.line, imports: [], defs: [] };
    for (;;) {
      const t = c.peek();
      if (!t) throw new MibSyntaxError(`module ${mod.name} has no END`, c.toks.at(-1)?.line ?? nameTok.line);
      if (t.text === 'END') {
        c.next();
        break;
      }
      if (t.text === 'IMPORTS') {
        c.next();
        mod.imports.push(...parseImports(c));
      } else if (t.text === 'EXPORTS') {
        while (c.next().text !== ';');
      } else if (t.type === 'ident') parseAssignment(c, mod);
      else throw new MibSyntaxError(`unexpected "${t.text}"`, t.line);
    }
    modules.push(mod);
  }
  return modules;
}
