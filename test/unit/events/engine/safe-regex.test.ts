import { describe, expect, it } from 'vitest';
import { compileGlob, compileSafeRegex, execBounded, MAX_SUBJECT, requiredPrefix, testBounded, UnsafeRegexError } from '../../../../server/events/engine/safe-regex.js';

describe('safe regular expressions', () => {
  it('accepts ordinary patterns, including named captures and bounded groups', () => {
    const re = compileSafeRegex('%LINK-\\d+-UPDOWN: Interface (?<ifName>[^,]+), changed state to (?<state>up|down)');
    expect(re.exec('%LINK-3-UPDOWN: Interface Gi0/1, changed state to down')?.groups).toEqual({ ifName: 'Gi0/1', state: 'down' });
    expect(compileSafeRegex('(\\d+\\.){3}\\d+').test('from 192.0.2.1 port 22')).toBe(true);
  });

  // Patterns that make a backtracking engine run for seconds to years on the subjects below: a linear-time
  // engine answers them, so they are accepted and give the right answer on the longest subject a rule sees.
  const a = 'a'.repeat(MAX_SUBJECT);
  it.each([
    ['a*a*a*a*a*b', a, false],
    ['a*a*a*a*a*b', `${a.slice(1)}b`, true],
    ['(a+)+$', `${a.slice(1)}!`, false],
    ['(a+)+$', a, true],
    ['(a|aa)*b', a, false],
    ['(a|aa)*b', `${a.slice(1)}b`, true],
    ['(.*a){20}', `${'x'.repeat(MAX_SUBJECT)}`, false],
    ['(.*a){20}', `${'xa'.repeat(20)}`, true],
    ['^(\\w+\\s?)*$', `${'word '.repeat(400)}!`, false],
    ['^(\\w+\\s?)*$', 'word '.repeat(400), true],
    ['(a{1,20}){1,20}$', `${a.slice(1)}!`, false],
  ])('runs %s in linear time and answers correctly', (p, subject, expected) => {
    expect(testBounded(compileSafeRegex(p), subject)).toBe(expected);
  });

  it('gives the same answers as JavaScript on ordinary patterns and messages', () => {
    const patterns: [string, string][] = [
      ['^%(?<fac>[A-Z_]+)-(?<sev>\\d)-(?<mn>[A-Z_]+): (?<text>.*)$', ''],
      ['error|fail(ed|ure)?', 'i'],
      ['user (?<user>\\S+) from (?<ip>\\d{1,3}(\\.\\d{1,3}){3})', ''],
      ['\\bBGP\\b.*\\b(Down|Idle)\\b', 'i'],
      ['^$', ''],
    ];
    const subjects = ['%LINK-3-UPDOWN: Interface Gi0/1, changed state to down', 'Authentication FAILURE for user bob from 192.0.2.7', 'bgp neighbor 10.0.0.1 Down', '', 'nothing'];
    for (const [p, f] of patterns) {
      const re = compileSafeRegex(p, f);
      const js = new RegExp(p, f);
      for (const s of subjects) {
        const got = re.exec(s);
        const want = js.exec(s);
        expect(got?.[0], `${p} on ${s}`).toBe(want?.[0]);
        expect(got?.groups, `${p} on ${s}`).toEqual(want?.groups);
      }
    }
  });

  it('keeps case-insensitive matching (messageCaseInsensitive)', () => {
    expect(compileSafeRegex('link down', 'i').test('LINK DOWN on Gi0/1')).toBe(true);
    expect(compileSafeRegex('link down').test('LINK DOWN on Gi0/1')).toBe(false);
  });

  it.each([
    ['(?=a)a', /lookahead\/lookbehind/],
    ['(?!x)y', /lookahead\/lookbehind/],
    ['(?<=a)b', /lookahead\/lookbehind/],
    ['(?<!a)b', /lookahead\/lookbehind/],
    ['(a)\\1', /back-references/],
    ['(?<x>a)\\k<x>', /back-references/],
    ['a{1001}', /above 1000/],
  ])('refuses %s, which only a backtracking engine can run, with a reason', (p, reason) => {
    expect(() => compileSafeRegex(p)).toThrow(UnsafeRegexError);
    expect(() => compileSafeRegex(p)).toThrow(reason);
  });

  it('rejects invalid syntax and overlong patterns with a readable reason', () => {
    expect(() => compileSafeRegex('(unclosed')).toThrow(/invalid regular expression/);
    expect(() => compileSafeRegex('x'.repeat(1001))).toThrow(/longer than 1000/);
  });

  it('matches threshold instance globs as whole strings, with * as the only wildcard', () => {
    const g = compileGlob('Gi0/*.1(x)');
    expect(g.test('Gi0/12.1(x)')).toBe(true);
    expect(g.test('Gi0/12.1(x) ')).toBe(false);
    expect(g.test('Gi0/12x1(x)')).toBe(false);
    expect(compileGlob('*a*a*a*a*a*b').test('a'.repeat(200))).toBe(false);
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
