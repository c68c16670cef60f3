import { describe, expect, it } from 'vitest';
import { MAX_ALERTS, MAX_LABEL_VALUE, MAX_LABELS, webhookSchema } from '../../../../server/collectors/alertmanager/alertmanager.schema.js';
import { webhookToEvents } from '../../../../server/collectors/alertmanager/alertmanager.mapping.js';
import { alert, webhook } from './alertmanager.fixtures.js';

/** The body as express.json hands it over: JSON text parsed, so `__proto__` is an own key. */
const wire = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
const parse = (v: unknown) => webhookSchema.safeParse(typeof v === 'string' ? JSON.parse(v) : wire(v));
const firstIssue = (v: unknown) => {
  const r = parse(v);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

describe('Alertmanager webhook schema', () => {
  it('accepts a message as Alertmanager sends it, times in ms and the zero time as none', () => {
    const r = parse(webhook([alert({ alertname: 'NodeDown', instance: '10.0.0.1:9100', severity: 'critical' })]));
    expect(r.success).toBe(true);
    const a = r.data!.alerts[0]!;
    expect(a.labels).toBeInstanceOf(Map);
    expect(a.labels.get('instance')).toBe('10.0.0.1:9100');
    expect(a.startsAt).toBe(Date.parse('2026-12-07T05:00:00.123Z'));
    expect(a.endsAt).toBeNull();
  });

  it('keeps __proto__ and constructor labels as ordinary labels, without touching any prototype', () => {
    const text = `{"version":"4","status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{"__proto__":"p","constructor":"c","alertname":"X","prototype":"q"},"annotations":{"__proto__":"ap"}}],"groupLabels":{"__proto__":{"polluted":1}},"commonLabels":{},"commonAnnotations":{}}`;
    const r = parse(text);
    expect(r.success).toBe(false); // groupLabels.__proto__ is an object, not a string
    const ok = parse(text.replace('"groupLabels":{"__proto__":{"polluted":1}}', '"groupLabels":{"__proto__":"g"}'));
    expect(ok.success).toBe(true);
    const a = ok.data!.alerts[0]!;
    expect([...a.labels]).toEqual([['__proto__', 'p'], ['constructor', 'c'], ['alertname', 'X'], ['prototype', 'q']]);
    expect(ok.data!.groupLabels.get('__proto__')).toBe('g');
    const [e] = webhookToEvents(ok.data!, { deviceLabels: ['instance'], defaultSeverity: 'warning', findDevice: () => null, now: 1 });
    const labels = e!.params.labels as Record<string, string>;
    expect(Object.getPrototypeOf(labels)).toBeNull();
    expect(Object.hasOwn(labels, '__proto__')).toBe(true);
    expect(labels['__proto__']).toBe('p');
    expect(labels['constructor']).toBe('c');
    expect(JSON.stringify(e!.params.labels)).toBe('{"__proto__":"p","constructor":"c","alertname":"X","prototype":"q"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((e!.params.annotations as Record<string, string>)['__proto__']).toBe('ap');
  });

  it('refuses more than MAX_ALERTS alerts in one message', () => {
    const many = Array.from({ length: MAX_ALERTS + 1 }, (_, i) => alert({ alertname: 'A', n: String(i) }));
    expect(firstIssue(webhook(many))).toMatch(/at most 1000 alerts/);
    expect(parse(webhook(many.slice(0, MAX_ALERTS))).success).toBe(true);
  });

  it('refuses oversize label sets, names and values', () => {
    const big = Object.fromEntries(Array.from({ length: MAX_LABELS + 1 }, (_, i) => [`l${i}`, 'v']));
    expect(firstIssue(webhook([alert(big)]))).toMatch(/labels: at most 128 entries/);
    expect(firstIssue(webhook([alert({ alertname: 'x'.repeat(MAX_LABEL_VALUE + 1) })]))).toMatch(/longer than 4096/);
    expect(firstIssue(webhook([alert({ ['n'.repeat(257)]: 'v' })]))).toMatch(/names are 1-256 characters/);
    expect(firstIssue(webhook([alert({ '': 'v' })]))).toMatch(/names are 1-256/);
  });

  it('refuses wrong types with the field named', () => {
    expect(firstIssue(webhook([alert({ alertname: 'A' }, { labels: { severity: 3 } })]))).toMatch(/alerts.0.labels.*"severity" must be a string/);
    expect(firstIssue(webhook([alert({ alertname: 'A' }, { labels: ['a'] })]))).toMatch(/labels must be an object/);
    expect(firstIssue(webhook([alert({ alertname: 'A' }, { status: 'pending' })]))).toMatch(/alerts.0.status/);
    expect(firstIssue(webhook([alert({ alertname: 'A' }, { startsAt: 'yesterday' })]))).toMatch(/RFC 3339/);
    expect(firstIssue(webhook([alert({ alertname: 'A' }, { fingerprint: 'not-hex' })]))).toMatch(/hex/);
    expect(firstIssue(webhook([], { version: '3' }))).toMatch(/version must be "4"/);
    expect(firstIssue(webhook([], { alerts: 'none' }))).toMatch(/alerts/);
    expect(firstIssue({ ...webhook([]), receiver: undefined })).toMatch(/receiver/);
    expect(firstIssue(null)).toBeTruthy();
  });

  it('ignores fields a newer Alertmanager may add', () => {
    const r = parse(webhook([alert({ alertname: 'A' }, { silencedBy: [] })], { groupID: 'x' }));
    expect(r.success).toBe(true);
  });
});
