import { createContext, runInContext, type Context } from 'node:vm';

/** Messages longer than this are matched on their first MAX_SUBJECT characters only. */
export const MAX_SUBJECT = 2048;
const MAX_PATTERN = 1000;
const BUDGET_MS = 50;

export class UnsafeRegexError extends Error {}

/** A repeating quantifier at `i`: unbounded (`*`, `+`, `{n,}`), bounded (`{n,m}`, m > 1) or none. */
function quantifierAt(src: string, i: number): 'unbounded' | 'bounded' | false {
  const m = /^(?:[*+]|\{(\d+)(?:(,)(\d*))?\})/.exec(src.slice(i, i + 24));
  if (!m) return false;
  if (m[1] === undefined) return 'unbounded';
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
  return max === Infinity ? 'unbounded' : max > 1 ? 'bounded' : false;
}

/**
 * Finds quantified groups that themselves contain a quantifier or an
 * alternation (`(a+)+`, `(\w|\d)*`, `(.*a){10}`), the shapes behind
 * catastrophic backtracking. A purely syntactic scan: it may reject a few
 * harmless patterns, never accepts a nested quantifier.
 */
function nestedQuantifier(src: string): string | null {
  // Stack of groups: does the group contain a quantifier / alternation?
  const stack: { quant: boolean; alt: boolean }[] = [{ quant: false, alt: false }];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      stack.push({ quant: false, alt: false });
      continue;
    }
    const top = stack[stack.length - 1]!;
    if (c === '|') {
      top.alt = true;
      continue;
    }
    if (c === ')') {
      const inner = stack.length > 1 ? stack.pop()! : top;
      const quantified = quantifierAt(src, i + 1);
      // Bounded repeats of quantified groups (`(\d+\.){3}`) are left to the timed probe.
      if (quantified === 'unbounded' && (inner.quant || inner.alt)) {
        return inner.quant ? 'a quantified group contains another quantifier (nested quantifier)' : 'a quantified group contains an alternation';
      }
      const parent = stack[stack.length - 1]!;
      parent.quant ||= inner.quant || quantified !== false;
      continue;
    }
    if (quantifierAt(src, i) !== false) top.quant = true;
  }
  return null;
}

/** Inputs that make backtracking-prone patterns explode. */
function probes(): string[] {
  const out: string[] = [];
  for (const ch of ['a', '0', ' ', 'x', '.', '-', '=']) out.push(ch.repeat(40) + '!', ch.repeat(40) + '\n');
  out.push('ab'.repeat(25) + '!', 'a '.repeat(25) + '!', '%LINK-3-UPDOWN: Interface ' + 'x'.repeat(40), 'a'.repeat(10) + 'b'.repeat(30));
  return out;
}

/**
 * Compiles a user pattern or throws `UnsafeRegexError` with a reason: invalid
 * syntax, too long, nested quantifiers, lookbehind/backreferences, or slower
 * than the time budget on adversarial probes (run in a VM with a timeout, so
 * even a missed shape cannot hang the check).
 */
export function compileSafeRegex(pattern: string, flags = ''): RegExp {
  if (pattern.length > MAX_PATTERN) throw new UnsafeRegexError(`regular expression longer than ${MAX_PATTERN} characters`);
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (err) {
    throw new UnsafeRegexError(`invalid regular expression: ${(err as Error).message}`);
  }
  if (/\\[1-9]|\\k</.test(pattern)) throw new UnsafeRegexError('back-references are not allowed in rules');
  const nested = nestedQuantifier(pattern);
  if (nested) throw new UnsafeRegexError(`regular expression may backtrack catastrophically: ${nested}`);
  const cacheKey = `${flags}/${pattern}`;
  if (!probed.has(cacheKey)) {
    probeContext ??= createContext({ probes: probes(), source: '', flags: '' });
    probeContext.source = pattern;
    probeContext.flags = flags;
    try {
      runInContext('{ const re = new RegExp(source, flags); for (const p of probes) { re.test(p); re.lastIndex = 0; } }', probeContext, { timeout: BUDGET_MS * 4 });
    } catch {
      throw new UnsafeRegexError(`regular expression too slow on test input (over ${BUDGET_MS * 4} ms)`);
    }
    // Only patterns that passed are remembered (rules are recompiled on every change).
    if (probed.size >= 10_000) probed.clear();
    probed.add(cacheKey);
  }
  return re;
}

let probeContext: Context | undefined;
const probed = new Set<string>();

/** Runs a compiled rule regex on a bounded subject. */
export function execBounded(re: RegExp, subject: string): RegExpExecArray | null {
  return re.exec(subject.length > MAX_SUBJECT ? subject.slice(0, MAX_SUBJECT) : subject);
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
