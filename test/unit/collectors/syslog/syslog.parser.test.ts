import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normaliseSeverity, parseStructuredData, parseSyslog, unparsedSyslog } from '../../../../server/collectors/syslog/syslog.parser.js';

interface Case {
  name: string;
  raw?: string;
  rawBase64?: string;
  receivedAt?: string;
  timeZone?: string;
  expect: { severity?: string; type?: string; message?: string; reportedAt?: string | null; params?: Record<string, unknown> };
}
const corpus = JSON.parse(readFileSync(new URL('../../../fixtures/syslog/corpus.json', import.meta.url), 'utf8')) as { receivedAt: string; cases: Case[] };

describe('syslog parser on the real-world corpus', () => {
  it('covers at least 40 varied lines', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.cases.map((c) => c.name)).size).toBe(corpus.cases.length);
  });

  it.each(corpus.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const buf = c.rawBase64 !== undefined ? Buffer.from(c.rawBase64, 'base64') : Buffer.from(c.raw ?? '', 'utf8');
    const receivedAt = Date.parse(c.receivedAt ?? corpus.receivedAt);
    const ev = parseSyslog(buf, { receivedAt, sourceAddress: '192.0.2.10' }, { timeZone: c.timeZone ?? 'UTC' });
    expect(ev.source).toBe('syslog');
    expect(ev.receivedAt).toBe(receivedAt);
    expect(ev.sourceAddress).toBe('192.0.2.10');
    expect(ev.deviceId).toBeNull();
    const { params, reportedAt, ...top } = c.expect;
    expect(ev).toMatchObject(top);
    if (reportedAt !== undefined) expect(ev.reportedAt === null ? null : new Date(ev.reportedAt).toISOString()).toBe(reportedAt);
    if (params) expect(ev.params).toMatchObject(params);
    // The flags are present only when set.
    if (params?.parseError === undefined) expect(ev.params.parseError).toBeUndefined();
    if (params?.truncated === undefined) expect(ev.params.truncated).toBeUndefined();
    expect(['5424', '3164', 'unknown']).toContain(ev.params.rfc);
    // Whatever came in, the event is JSON-safe.
    expect(JSON.parse(JSON.stringify(ev))).toEqual(ev);
  });
});

describe('syslog parser limits', () => {
  const at = { receivedAt: Date.parse('2024-06-15T12:00:00Z'), sourceAddress: '::1' };

  it('truncates an oversized message at the limit and flags it', () => {
    const raw = Buffer.from(`<14>1 2024-06-15T11:00:00Z h app - - - ${'x'.repeat(100_000)}`);
    const ev = parseSyslog(raw, at);
    expect(ev.params.truncated).toBe(true);
    expect(ev.params.originalBytes).toBe(raw.length);
    expect(Buffer.byteLength(ev.message)).toBe(65_536 - '<14>1 2024-06-15T11:00:00Z h app - - - '.length);
  });

  it('honours a configured limit and never splits a UTF-8 character', () => {
    const raw = Buffer.from(`<14>Jun 15 11:00:00 h app: ${'é'.repeat(400)}`);
    const ev = parseSyslog(raw, at, { maxMessageBytes: 500 });
    expect(ev.params.truncated).toBe(true);
    expect(ev.message).toMatch(/^é+$/);
    expect(ev.params.rawBase64).toBeUndefined();
  });

  it('keeps a message exactly at the limit untouched', () => {
    const raw = Buffer.from(`<14>Jun 15 11:00:00 h app: ${'a'.repeat(473)}`);
    expect(raw.length).toBe(500);
    expect(parseSyslog(raw, at, { maxMessageBytes: 500 }).params.truncated).toBeUndefined();
  });

  it('maps every syslog severity to a normalised one', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(normaliseSeverity)).toEqual(['critical', 'critical', 'critical', 'major', 'warning', 'info', 'info', 'debug']);
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const prefixes = ['', '<13>', '<13>1 ', '<13>1 2024-06-15T11:00:00Z h a p m [', '<189>000001: *Mar  1 ', '<13>Jun 15 '];
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256)));
      const buf = Buffer.concat([Buffer.from(prefixes[i % prefixes.length]!), body]);
      const ev = parseSyslog(buf, at);
      expect(typeof ev.message).toBe('string');
    }
  });

  it('parses structured data on its own, reporting where it stopped', () => {
    expect(parseStructuredData('[a b="1"][c d="\\]"] rest', 0)).toEqual({ sd: { a: { b: '1' }, c: { d: ']' } }, end: 19, error: null });
    expect(parseStructuredData('[a b=1]', 0).error).toMatch(/bad SD-PARAM/);
  });
});

describe('syslog names from the wire are data, never object machinery', () => {
  const at = { receivedAt: Date.parse('2026-12-06T00:00:00Z'), sourceAddress: '192.0.2.66' };
  const parse = (line: string) => parseSyslog(Buffer.from(line), at);
  const sdOf = (line: string) => parse(line).params.structuredData as Record<string, Record<string, unknown>>;
  const plain = () => ({}) as Record<string, unknown>;

  it('keeps an SD-ID __proto__ as an ordinary element and leaves Object.prototype alone', () => {
    const ev = parse('<14>1 2026-12-06T00:00:00Z h app - - [__proto__ user="x" role="admin"] hi');
    expect(plain().user).toBeUndefined();
    expect(plain().role).toBeUndefined();
    expect(ev.params.parseError).toBeUndefined();
    expect(ev.message).toBe('hi');
    const sd = ev.params.structuredData as Record<string, unknown>;
    expect(Object.keys(sd)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(sd, '__proto__')?.value).toEqual({ user: 'x', role: 'admin' });
    // And after the JSON round trip the store and the API make.
    const back = JSON.parse(JSON.stringify(ev.params)) as { structuredData: Record<string, unknown> };
    expect(Object.keys(back.structuredData)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(back.structuredData, '__proto__')?.value).toEqual({ user: 'x', role: 'admin' });
  });

  it('parses [constructor name="x"] instead of throwing, and [prototype …] too', () => {
    expect(sdOf('<14>1 2026-12-06T00:00:00Z h app - - [constructor name="x"] hi')).toEqual({ constructor: { name: 'x' } });
    expect(sdOf('<14>1 2026-12-06T00:00:00Z h app - - [prototype a="1"][toString b="2"][hasOwnProperty c="3"] hi')).toEqual({
      prototype: { a: '1' }, toString: { b: '2' }, hasOwnProperty: { c: '3' },
    });
  });

  it('keeps __proto__, constructor, prototype and toString as SD-PARAM names, repeated ones as a list', () => {
    const sd = sdOf('<14>1 2026-12-06T00:00:00Z h app - - [x@1 __proto__="a" constructor="b" prototype="c" toString="d" __proto__="e"] hi');
    const x = sd['x@1']!;
    expect(Object.keys(x)).toEqual(['__proto__', 'constructor', 'prototype', 'toString']);
    expect(Object.getOwnPropertyDescriptor(x, '__proto__')?.value).toEqual(['a', 'e']);
    expect(x.constructor).toBe('b');
    expect(x.prototype).toBe('c');
    expect(x.toString).toBe('d');
    expect(plain().user).toBeUndefined();
    expect(Object.getPrototypeOf(plain())).toBe(Object.prototype);
  });

  it('keeps a toJSON element as data through JSON (it is not a function, so JSON.stringify does not call it)', () => {
    const ev = parse('<14>1 2026-12-06T00:00:00Z h app - - [toJSON a="1"][x@1 toJSON="2"] hi');
    expect(JSON.parse(JSON.stringify(ev.params.structuredData))).toEqual({ toJSON: { a: '1' }, 'x@1': { toJSON: '2' } });
  });

  it('gives structured data objects that inherit nothing, so no name reaches inherited properties', () => {
    const sd = sdOf('<14>1 2026-12-06T00:00:00Z h app - - [a@1 b="1"] hi');
    for (const o of [sd, sd['a@1']!, sdOf('<14>1 2026-12-06T00:00:00Z h app - - - hi')]) {
      for (const name of ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']) expect(name in o, name).toBe(false);
    }
    // Nor can a sender reach the shared prototype those objects use.
    const proto = Object.getPrototypeOf(sd) as object;
    expect(Object.getPrototypeOf(proto)).toBeNull();
    expect(Object.isFrozen(proto)).toBe(true);
  });

  it('turns a message the parser throws on into a flagged event (unparsedSyslog)', () => {
    const ev = unparsedSyslog(Buffer.from('<14>1 whatever'), { ...at, transport: 'tcp' }, new Error('boom'));
    expect(ev).toMatchObject({ source: 'syslog', sourceAddress: '192.0.2.66', message: '<14>1 whatever', type: 'syslog', reportedAt: null });
    expect(ev.params).toMatchObject({ rfc: 'unknown', parseError: 'parser failed: boom', transport: 'tcp' });
  });
});
