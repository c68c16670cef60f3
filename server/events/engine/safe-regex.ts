import RE2 from 're2';

/**
 * User regular expressions (rule messages, `regex` conditions, threshold
 * instance globs) run on RE2, a linear-time engine: matching time grows with
 * the subject length only, whatever the pattern (`a*a*a*a*a*b`, `(a+)+$` and
 * `(.*a){20}` included), so no pattern can stall the event loop. RE2 has no
 * back-references and no lookaround: such patterns are refused with a reason.
 */

/** Messages longer than this are matched on their first MAX_SUBJECT characters only. */
export const MAX_SUBJECT = 2048;
const MAX_PATTERN = 1000;

export class UnsafeRegexError extends Error {}

/** A compiled user pattern: RE2 behind the RegExp interface (`exec`, `test`, named `groups`). */
export type SafeRegex = RE2;

/** Turns RE2's parser message into one a rule author can act on. */
function explain(message: string): string {
  if (/invalid perl operator: \(\?<?[=!]/.test(message)) return 'lookahead/lookbehind ((?=, (?!, (?<=, (?<!) is not supported: rules match in linear time';
  if (/invalid escape sequence: \\(?:[1-9]|k)/.test(message)) return 'back-references (\\1, \\k<name>) are not supported: rules match in linear time';
  if (/invalid repetition size/.test(message)) return 'repetition counts above 1000 are not supported';
  if (/pattern too large/.test(message)) return 'pattern too large once its repetitions are expanded';
  return `not supported by the linear-time engine (${message})`;
}

/**
 * Compiles a user pattern for RE2 or throws `UnsafeRegexError` with a reason:
 * too long, invalid JavaScript syntax (the console writes JS patterns), or a
 * construct only a backtracking engine has.
 */
export function compileSafeRegex(pattern: string, flags = ''): SafeRegex {
  if (pattern.length > MAX_PATTERN) throw new UnsafeRegexError(`regular expression longer than ${MAX_PATTERN} characters`);
  if (!/^i?$/.test(flags)) throw new UnsafeRegexError(`unsupported flags "${flags}"`);
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw new UnsafeRegexError(`invalid regular expression: ${(err as Error).message}`);
  }
  try {
    return new RE2(pattern, flags);
  } catch (err) {
    throw new UnsafeRegexError(explain((err as Error).message));
  }
}

/** Runs a compiled rule regex on a bounded subject. */
export function execBounded(re: SafeRegex, subject: string): RegExpExecArray | null {
  return re.exec(subject.length > MAX_SUBJECT ? subject.slice(0, MAX_SUBJECT) : subject);
}

/** Tests a compiled rule regex on a bounded subject. */
export function testBounded(re: SafeRegex, subject: string): boolean {
  return re.test(subject.length > MAX_SUBJECT ? subject.slice(0, MAX_SUBJECT) : subject);
}

/** A glob (`*` = any run of characters, the rest literal) as a whole-string matcher. */
export function compileGlob(glob: string): SafeRegex {
  return compileSafeRegex(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/**
 * The literal text an anchored, alternation-free pattern must start with
 * (`^ERR-42-(?<code>\\d+)` -> `ERR-42-`), or '' when there is none. Lets the
 * engine skip `exec` with one character test for most messages.
 */
export function requiredPrefix(pattern: string, flags: string): string {
  if (!pattern.startsWith('^') || flags.includes('i') || flags.includes('m') || pattern.includes('|')) return '';
  let lit = '';
  for (let i = 1; i < pattern.length; i++) {
    const c = pattern[i]!;
    if ('\\^$.|?*+()[]{}'.includes(c)) {
      // A quantifier makes the previous character optional or repeated: it is not required as is.
      if ('?*{'.includes(c)) lit = lit.slice(0, -1);
      break;
    }
    lit += c;
  }
  return lit;
}
