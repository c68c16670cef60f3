import { describe, expect, it } from 'vitest';
import { compileSafeRegex, execBounded, MAX_SUBJECT, requiredPrefix, UnsafeRegexError } from '../../../../server/events/engine/safe-regex.js';

describe('safe regular expressions', () => {
  it('accepts ordinary patterns, including named captures and bounded groups', () => {
    const re = compileSafeRegex('%LINK-\\d+-UPDOWN: Interface (?<ifName>[^,]+), changed state to (?<state>up|down)');
    expect(re.exec('%LINK-3-UPDOWN: Interface Gi0/1, changed state to down')?.groups).toEqual({ ifName: 'Gi0/1', state: 'down' });
    expect(() => compileSafeRegex('(\\d+\\.){3}\\d+')).not.toThrow();
  });

  it.each(['(a+)+$', '(\\w+\\s?)*$', '(x|xx)*y', '(.*)+z'])('rejects the catastrophic pattern %s at save time', (p) => {
    expect(() => compileSafeRegex(p)).toThrow(/backtrack catastrophically/);
  });

  it('rejects a pattern the static check misses when it blows the time budget on probes', () => {
    expect(() => compileSafeRegex('(a{1,20}){1,20}$')).toThrow(/too slow/);
  });

  it('rejects invalid syntax and back-references with a readable reason', () => {
    expect(() => compileSafeRegex('(unclosed')).toThrow(UnsafeRegexError);
    expect(() => compileSafeRegex('(a)\\1')).toThrow(/back-references/);
  });

  it('finds the literal prefix an anchored pattern requires, and none when it is not certain', () => {
    expect(requiredPrefix('^ERR-42-(?<code>\\d+)', '')).toBe('ERR-42-');
    expect(requiredPrefix('^abc?d', '')).toBe('ab');
    expect(requiredPrefix('^abc+d', '')).toBe('abc');
    expect(requiredPrefix('^foo|bar', '')).toBe('');
    expect(requiredPrefix('^foo', 'i')).toBe('');
    expect(requiredPrefix('foo', '')).toBe('');
  });

  it('matches only the first MAX_SUBJECT characters of huge messages', () => {
    const re = compileSafeRegex('END$');
    expect(execBounded(re, `${'x'.repeat(MAX_SUBJECT)}END`)).toBeNull();
    expect(execBounded(re, 'the END')).not.toBeNull();
  });
});
