/**
 * Full-text search of events on PostgreSQL, with the semantics of the SQLite
 * FTS5 index (event-fts.ts, event-search.parser.ts). Pure.
 *
 * PostgreSQL's own parser splits text differently from FTS5's unicode61
 * tokenizer (host names, hyphenated words, URLs are tokens of their own
 * there), so the writer tokenizes here, the way unicode61 does (runs of
 * letters, digits and private-use characters; lower case; diacritics
 * removed), and writes the `tsvector` as a literal: PostgreSQL stores the
 * lexemes as given. Each field's lexemes carry a prefix, so a field search
 * (`host:`) and a phrase (which must lie within one field, as in FTS5) are
 * plain tsquery operands:
 *
 *   m_ message   t_ type (the FTS5 `type` column: encoded token, then words)   h_ host   a_ app
 *   v_ varbind / structured-data values   y_ the encoded whole-type token (`type:` in a search)
 *   z_ the whole type, lower-cased (the `type` filter: exact, or a prefix with :*)
 *
 * A search is compiled from the same terms as the SQLite one (tokenizeQuery),
 * with the same refusals, into a tsquery literal whose operands are all
 * quoted: nothing the user typed becomes tsquery syntax.
 */
import { COL, EVENT_ROW_WIDTH } from '../event-row.js';
import { ftsType } from '../event-fts.js';
import {
  encodeTypeToken,
  EventSearchError,
  MAX_SEARCH_TERMS,
  MAX_TYPE_TOKEN,
  tokenizeQuery,
  type Term,
  type TypeFilter,
} from '../event-search.parser.js';

const NON_TOKEN_RUN = /[^\p{L}\p{N}\p{Co}]+/gu;
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;
const MARKS = /\p{Mn}/gu;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/;
const NON_ALNUM_ASCII = /[^a-z0-9]+/;
/** PostgreSQL keeps positions up to this; later words share it. */
const MAX_POS = 16383;
/** Positions kept per lexeme (PostgreSQL's limit is 256). */
const MAX_POSITIONS = 255;
/** A lexeme is at most 2,047 bytes: longer tokens are cut (on both sides, so they still match). */
const MAX_TOKEN = 500;
/**
 * Characters of one field that are indexed: a tsvector holds at most 1 MB, and
 * a row whose tsvector is too big would be refused. SQLite indexes all of a
 * field; messages this long are rare (syslog over UDP tops out at 64 KiB).
 */
export const MAX_INDEXED_FIELD = 65_536;

/** One token as the index holds it: lower case, diacritics removed (as FTS5 unicode61 does by default). */
export function foldToken(t: string): string {
  const lower = t.toLowerCase();
  // eslint-disable-next-line no-control-regex
  const plain = /[^\u0000-\u007f]/.test(lower) ? lower.normalize('NFD').replace(MARKS, '').normalize('NFC') : lower;
  return plain.slice(0, MAX_TOKEN);
}

export function tokens(text: string | null | undefined): string[] {
  if (!text) return [];
  const t = text.length > MAX_INDEXED_FIELD ? text.slice(0, MAX_INDEXED_FIELD) : text;
  const out: string[] = [];
  if (!NON_ASCII.test(t)) {
    // Most text: ASCII, where a token is a run of letters and digits and folding is lower case.
    for (const w of t.toLowerCase().split(NON_ALNUM_ASCII)) if (w) out.push(w.length > MAX_TOKEN ? w.slice(0, MAX_TOKEN) : w);
    return out;
  }
  for (const w of t.split(NON_TOKEN_RUN)) if (w) out.push(foldToken(w));
  return out;
}

/** A lexeme or tsquery operand in quotes (quote doubled, backslash escaped, NUL dropped). */
// eslint-disable-next-line no-control-regex
const quote = (s: string) => `'${s.replace(/\u0000/g, '').replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The lexemes of the `z_` type field: the whole type, lower case. */
const wholeType = (type: string) => `z_${type.toLowerCase().slice(0, MAX_TOKEN)}`;

/** The tsvector literal of one event row (flat row from eventRows, at offset `at`). */
export function eventTsvector(rows: readonly unknown[], at: number): string {
  const lex = new Map<string, number[]>();
  const add = (prefix: string, text: string | null) => {
    let pos = 0;
    for (const t of tokens(text)) {
      pos = Math.min(pos + 1, MAX_POS);
      const k = prefix + t;
      const p = lex.get(k);
      if (!p) lex.set(k, [pos]);
      else if (p.length < MAX_POSITIONS && p.at(-1) !== pos) p.push(pos);
    }
  };
  const type = String(rows[at + COL.type] ?? '');
  const message = String(rows[at + COL.message] ?? '');
  const app = (rows[at + COL.ftsApp] as string | null) ?? null;
  add('m_', message);
  add('t_', ftsType(type, message, app));
  add('h_', rows[at + COL.ftsHost] as string | null);
  add('a_', app);
  add('v_', rows[at + COL.ftsVars] as string | null);
  if (type) {
    const tok = tokens(encodeTypeToken(type))[0];
    if (tok) lex.set(`y_${tok}`, [1]);
  }
  // Token lexemes are letters and digits with an ASCII prefix: quoted as they are. The whole type may hold anything.
  let s = `${quote(wholeType(type))}:1`;
  for (const [k, p] of lex) s += ` '${k}':${p.length === 1 ? p[0] : p.join(',')}`;
  return s;
}

/** tsvector literals of every row of a flat batch. */
export function batchTsvectors(rows: readonly unknown[]): string[] {
  const n = rows.length / EVENT_ROW_WIDTH;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = eventTsvector(rows, i * EVENT_ROW_WIDTH);
  return out;
}

/** The fields a word without a field is looked for in (every FTS5 column but the tags). */
const ANY = ['m_', 't_', 'h_', 'a_', 'v_'];
const FIELD_PREFIX = new Map<string, string>([
  ['message', 'm_'],
  ['host', 'h_'],
  ['app', 'a_'],
]);

/** A phrase of `words` in the field `prefix` (last word a prefix when asked). */
function phrase(prefix: string, words: string[], last: boolean): string {
  return words.map((w, i) => `${quote(prefix + w)}${last && i === words.length - 1 ? ':*' : ''}`).join(' <-> ');
}

/** `type:` in a search: the encoded whole-type token, exact or a prefix (a cut token is a prefix). */
function typeTerm(value: string, prefix: boolean): string | null {
  const tok = tokens(encodeTypeToken(value))[0];
  if (!tok) return null;
  const cut = value.toLowerCase().replace(NON_TOKEN_RUN, 'x').length > MAX_TYPE_TOKEN;
  return `${quote(`y_${tok}`)}${prefix || cut ? ':*' : ''}`;
}

function compileTerm(t: Term): string | null {
  if (!TOKEN_CHAR.test(t.text)) return null;
  if (t.column === 'type') return typeTerm(t.text, t.prefix);
  const words = tokens(t.text);
  if (words.length === 0) return null;
  const fields = t.column ? [FIELD_PREFIX.get(t.column)!] : ANY;
  const alts = fields.map((f) => phrase(f, words, t.prefix));
  return alts.length === 1 ? alts[0]! : `( ${alts.join(' | ')} )`;
}

/**
 * The tsquery literal for a search typed by a user: the same refusals
 * (EventSearchError, same messages) as compileEventSearch.
 */
export function compileEventSearchTsquery(q: string): string {
  const terms = tokenizeQuery(q);
  if (terms.length > MAX_SEARCH_TERMS) throw new EventSearchError(`a search has at most ${MAX_SEARCH_TERMS} words, phrases or fields; this one has ${terms.length}`);
  const include: string[] = [];
  const exclude: string[] = [];
  for (const t of terms) {
    const c = compileTerm(t);
    if (c) (t.exclude ? exclude : include).push(c);
  }
  if (include.length === 0) {
    throw new EventSearchError(
      exclude.length
        ? 'a search needs at least one word to look for besides the excluded ones (-word)'
        : 'nothing to search for: give a word with letters or digits, or search with match=substring for symbols',
    );
  }
  const all = include.length === 1 ? include[0]! : `( ${include.join(' & ')} )`;
  return exclude.length ? `${all} & !( ${exclude.join(' | ')} )` : all;
}

/** The `type` filter (exact, or a prefix: case-insensitive), answered from the z_ lexeme. */
export function typeFilterTsquery(f: TypeFilter): string {
  return `${quote(wholeType(f.value))}${f.prefix ? ':*' : ''}`;
}
