import { describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../server/contracts/alarms.js';
import { alertmanagerBody, pagerdutyBody, placeholderValues, renderTemplate, telegramBody } from '../../../server/notify/channel-bodies.js';

const p = (over: Partial<AlarmNotificationPayload['alarm']> = {}, kind: AlarmNotificationPayload['kind'] = 'raise'): AlarmNotificationPayload => ({
  kind,
  alarm: { id: 3, reductionKey: 'k:1', state: 'active', severity: 'minor', title: 'T', message: 'M', deviceId: null, sourceAddress: '10.0.0.1', count: 2, firstSeen: 0, lastSeen: 0, deviceName: 'sw1', ...over },
  sentAt: 1000,
});

describe('channel bodies', () => {
  it('renders template placeholders JSON-escaped, so any alarm text keeps the body valid JSON', () => {
    const nasty = 'a"b\\c\nd\u0001e\u2028f</script>';
    const out = renderTemplate('{"t": "{alarm.message}", "d": "{device.name}"}', placeholderValues(p({ message: nasty }), null), 'json');
    expect(JSON.parse(out)).toEqual({ t: nasty, d: 'sw1' });
  });

  it('leaves prototype names and unknown placeholders as written', () => {
    const v = placeholderValues(p(), null);
    expect(renderTemplate('{constructor} {__proto__} {toString} {alarm.title}', v, 'text')).toBe('{constructor} {__proto__} {toString} T');
  });

  it('escapes alarm text for Telegram HTML and MarkdownV2', () => {
    expect(telegramBody(p({ title: '<b>x</b> & y' }), '1', 'HTML', null).text).toContain('&lt;b&gt;x&lt;/b&gt; &amp; y');
    expect(telegramBody(p({ message: 'a_b.c!' }), '1', 'MarkdownV2', null).text).toContain('a\\_b\\.c\\!');
  });

  it('maps clear to resolve and acknowledged to acknowledge for PagerDuty', () => {
    expect(pagerdutyBody(p({ state: 'cleared' }, 'clear'), 'r', null)).toEqual({ routing_key: 'r', event_action: 'resolve', dedup_key: 'k:1' });
    expect(pagerdutyBody(p({ state: 'acknowledged' }, 'severity'), 'r', null).event_action).toBe('acknowledge');
    expect(pagerdutyBody(p(), 'r', null)).toMatchObject({ event_action: 'trigger', payload: { severity: 'warning', source: 'sw1' } });
  });

  it('sends Alertmanager an end time: the clear time when cleared, ahead while active', () => {
    expect(alertmanagerBody(p({}, 'clear'), null, 60)[0]!.endsAt).toBe(new Date(1000).toISOString());
    expect(alertmanagerBody(p(), null, 60)[0]!.endsAt).toBe(new Date(1000 + 3_600_000).toISOString());
    expect(alertmanagerBody(p(), null, 60)[0]).not.toHaveProperty('generatorURL');
  });
});
