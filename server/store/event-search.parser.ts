/**
 * The events search language, compiled into an FTS5 MATCH expression that is
 * safe whatever the user typed. Pure.
 *
 *   interface down         both words (AND), anywhere in message, type, host, app, varbind values
 *   "changed state"        a phrase
 *   link*                  a prefix
 *   host:core-sw1          a field: host (syslog hostname and sender address), app (syslog
 *   app:sshd               app-name), msg (message); `type:` is the whole event type, exact or,
 *   type:LINEPROTO*        with a trailing `*`, its prefix (case-insensitive)
 *   -cron                  leave out events that match
 *
 * Every word or phrase the user gives becomes an FTS5 string ("…" with `"`
 * doubled), so quotes, parentheses, `-`, `:`, `*`, `^`, `+` and the words AND,
 * OR, NOT and NEAR are text to look for, never syntax. Column names come from
 * a fixed list. A word with no letter or digit (which the tokenizer would
 * drop) is left out; a search left with nothing to look for is refused with a
 * clear message rather than matching everything.
 */

export class EventSearchError extends Error {}

/** Most terms (words, phrases, fields) in one search. */
export const MAX_SEARCH_TERMS = 16;
/** The encoded type token is cut here (a longer type filter then matches as a prefix, checked exactly afterwards). */
export const MAX_TYPE_TOKEN = 128;

const FIELDS = new Map<string, string>([
  ['host', 'host'],
  ['app', 'app'],
  ['type', 'type'],
  ['msg', 'message'],
  ['message', 'message'],
]);
const FIELD_PREFIX = /(host|app|type|msg|message):/iy;
/** What the FTS5 unicode61 tokenizer keeps as token characters by default (categories L*, N*, Co). */
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;
const NON_TOKEN_RUN = /[^\p{L}\p{N}\p{Co}]+/gu;
const SPACE = /\s/;

/**
 * A string for the tokenizer: FTS5 syntax inside it is text. Control
 * characters become spaces (they separate words anyway; FTS5's expression
 * parser ends a string at a NUL).
 */
// eslint-disable-next-line no-control-regex
const ftsString = (text: string) => `"${text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/"/g, '""')}"`;

/**
 * The event type as one token (stored first in the FTS `type` column): lower
 * case, each run of separators replaced by `x`, so `type:` matches the whole
 * type and a prefix of it (`LINEPROTO-5*` -> `lineprotox5*`) instead of words
 * inside it. Different types can share a token (`a-b`, `a.b`): matches are
 * checked against the real type afterwards.
 */
export function encodeTypeToken(type: string): string {
  // NUL and other separators become `x` with the rest.
  return type.toLowerCase().replace(NON_TOKEN_RUN, 'x').slice(0, MAX_TYPE_TOKEN);
}

/** The FTS expression for a type: the anchored encoded token, exact or as a prefix. */
function typeMatch(value: string, prefix: boolean): string {
  const token = encodeTypeToken(value);
  const cut = value.toLowerCase().replace(NON_TOKEN_RUN, 'x').length > MAX_TYPE_TOKEN;
  return `type : ^ ${ftsString(token)}${prefix || cut ? ' *' : ''}`;
}

export interface TypeFilter {
  value: string;
  prefix: boolean;
}

/** `LINEPROTO-5-UPDOWN` (exact) or `LINEPROTO*` (prefix). */
export function parseTypeFilter(text: string): TypeFilter {
  const prefix = text.endsWith('*');
  return { value: prefix ? text.replace(/\*+$/, '') : text, prefix };
}

/** The MATCH expression for the `type` filter. */
export function typeFilterMatch(f: TypeFilter): string {
  return typeMatch(f.value, f.prefix);
}

/** Whether a stored type passes the filter (the FTS token is approximate). */
export function matchesTypeFilter(type: string, f: TypeFilter): boolean {
  const t = type.toLowerCase();
  const v = f.value.toLowerCase();
  return f.prefix ? t.startsWith(v) : t === v;
}

export interface Term {
  exclude: boolean;
  column: string | null;
  text: string;
  prefix: boolean;
}

export function tokenizeQuery(q: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  const n = q.length;
  while (i < n) {
    while (i < n && SPACE.test(q[i]!)) i++;
    if (i >= n) break;
    let exclude = false;
    if (q[i] === '-' && i + 1 < n && !SPACE.test(q[i + 1]!)) {
      exclude = true;
      i++;
    }
    let column: string | null = null;
    FIELD_PREFIX.lastIndex = i;
    const f = FIELD_PREFIX.exec(q);
    if (f && i + f[0].length < n && !SPACE.test(q[i + f[0].length]!)) {
      column = FIELDS.get(f[1]!.toLowerCase())!;
      i += f[0].length;
    }
    let text: string;
    let prefix = false;
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      const end = close < 0 ? n : close;
      text = q.slice(i + 1, end);
      i = close < 0 ? n : close + 1;
      if (q[i] === '*') {
        prefix = true;
        i++;
      }
    } else {
      const start = i;
      while (i < n && !SPACE.test(q[i]!)) i++;
      text = q.slice(start, i);
      if (text.endsWith('*')) {
        prefix = true;
        text = text.replace(/\*+$/, '');
      }
    }
    terms.push({ exclude, column, text, prefix });
  }
  return terms;
}

/** Where a word without a field is looked for: every column but the filter tags. */
const ANY_COLUMN = '{message type host app vars}';

/** One term as FTS5 syntax, or null when there is nothing in it to look for. */
function compileTerm(t: Term): string | null {
  if (!TOKEN_CHAR.test(t.text)) return null;
  if (t.column === 'type') return typeMatch(t.text, t.prefix);
  return `${t.column ?? ANY_COLUMN} : ${ftsString(t.text)}${t.prefix ? ' *' : ''}`;
}

/**
 * The MATCH expression for a search typed by a user. Throws EventSearchError
 * (with a message for that user) when there is nothing to look for, only
 * exclusions, or too many terms.
 */
export function compileEventSearch(q: string): string {
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
  const all = include.length === 1 ? include[0]! : include.join(' AND ');
  return exclude.length ? `(${all}) NOT (${exclude.join(' OR ')})` : all;
}
