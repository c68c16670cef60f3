/**
 * ASN.1/SMI tokenizer for MIB files: identifiers, numbers, quoted strings
 * (multi-line), binary/hex strings ('0101'B, 'ff'H), punctuation and the
 * multi-character symbols `::=` and `..`. Comments run from `--` to the end
 * of the line or to the next `--`. Every token carries its line number.
 */

export type TokenType = 'ident' | 'number' | 'string' | 'hex' | 'punct';

export interface Token {
  type: TokenType;
  text: string;
  line: number;
}

export class MibSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
    this.name = 'MibSyntaxError';
  }
}

const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isIdentPart = (c: number) => isIdentStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0) {
      i++;
      continue;
    }
    // Comment: `--` to end of line or to the next `--`.
    if (c === 45 && src.charCodeAt(i + 1) === 45) {
      i += 2;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === 10) break;
        if (d === 45 && src.charCodeAt(i + 1) === 45) {
          i += 2;
          break;
        }
        i++;
      }
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < n) {
        const d = src.charCodeAt(i);
        // An identifier may contain single hyphens but not `--` (a comment).
        if (d === 45 && src.charCodeAt(i + 1) === 45) break;
        if (!isIdentPart(d)) break;
        i++;
      }
      out.push({ type: 'ident', text: src.slice(start, i), line });
      continue;
    }
    if (isDigit(c) || (c === 45 && isDigit(src.charCodeAt(i + 1)))) {
      const start = i;
      i++;
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      out.push({ type: 'number', text: src.slice(start, i), line });
      continue;
    }
    if (c === 34) {
      const startLine = line;
      // `""` inside a string is an escaped quote (ASN.1).
      let end = src.indexOf('"', i + 1);
      while (end >= 0 && src.charCodeAt(end + 1) === 34) end = src.indexOf('"', end + 2);
      if (end < 0) throw new MibSyntaxError('unterminated string', startLine);
      const text = src.slice(i + 1, end).replaceAll('""', '"');
      for (let k = i + 1; k < end; k++) if (src.charCodeAt(k) === 10) line++;
      out.push({ type: 'string', text, line: startLine });
      i = end + 1;
      continue;
    }
    if (c === 39) {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new MibSyntaxError("unterminated ' string", line);
      const body = src.slice(i + 1, end);
      const suffix = src.charAt(end + 1);
      out.push({ type: 'hex', text: `'${body}'${suffix}`, line });
      for (let k = i + 1; k < end; k++) if (src.charCodeAt(k) === 10) line++;
      i = /[bBhH]/.test(suffix) ? end + 2 : end + 1;
      continue;
    }
    if (c === 58 && src.startsWith('::=', i)) {
      out.push({ type: 'punct', text: '::=', line });
      i += 3;
      continue;
    }
    if (c === 46 && src.charCodeAt(i + 1) === 46) {
      out.push({ type: 'punct', text: '..', line });
      i += 2;
      continue;
    }
    out.push({ type: 'punct', text: src.charAt(i), line });
    i++;
  }
  return out;
}
