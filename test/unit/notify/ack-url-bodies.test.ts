import { describe, expect, it } from 'vitest';
import type { AlarmNotificationPayload } from '../../../server/contracts/alarms.js';
import { pagerdutyBody, placeholderValues, renderTemplate, teamsBody, telegramBody } from '../../../server/notify/channel-bodies.js';
import { slackBody, subjectLine, textBody } from '../../../server/notify/message.js';
import { httpTemplateConfigSchema } from '../../../server/notify/channel.schema.js';

const ACK = 'https://nms.example.test/api/v1/ack/12.1765000000.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
const p = (over: Partial<AlarmNotificationPayload> = {}): AlarmNotificationPayload => ({
  kind: 'escalate',
  alarm: { id: 12, reductionKey: 'core:down', state: 'active', severity: 'critical', title: 'core1 down', message: 'no answer', deviceId: 1, sourceAddress: '192.0.2.1', count: 3, firstSeen: 0, lastSeen: 0, deviceName: 'core1' },
  sentAt: 0,
  ackUrl: ACK,
  escalation: { policyId: 1, policyName: 'nights', step: 1, repeat: 2 },
  ...over,
});

describe('the acknowledge link in each message', () => {
  it('e-mail, Slack, Teams (both card formats) and Telegram carry it', () => {
    expect(textBody(p())).toContain(`Acknowledge: ${ACK}`);
    expect(subjectLine(p())).toBe('[Netwatch] CRITICAL ESCALATED (step 2, repeat 2): core1 down');
    expect(JSON.stringify(slackBody(p()))).toContain(`<${ACK}|Acknowledge this alarm>`);
    expect(teamsBody(p(), 'messageCard', null).potentialAction).toEqual([{ '@type': 'OpenUri', name: 'Acknowledge', targets: [{ os: 'default', uri: ACK }] }]);
    expect(JSON.stringify(teamsBody(p(), 'adaptiveCard', 'https://c/alarms?alarm=12'))).toContain(`"title":"Acknowledge","url":"${ACK}"`);
    expect(telegramBody(p(), '1', 'HTML', null).text).toContain(`<a href="${ACK}">Acknowledge</a>`);
    expect(telegramBody(p(), '1', 'MarkdownV2', null).text).toContain(`[Acknowledge](${ACK})`);
  });

  it('PagerDuty: a link on trigger; kind ack is event_action acknowledge with the same dedup key, and nothing else', () => {
    expect(pagerdutyBody(p(), 'KEY', null)).toMatchObject({ event_action: 'trigger', dedup_key: 'core:down', links: [{ href: ACK, text: 'Acknowledge in Netwatch' }] });
    expect(pagerdutyBody(p({ kind: 'ack', ackUrl: undefined, alarm: { ...p().alarm, state: 'acknowledged' } }), 'KEY', null)).toEqual({ routing_key: 'KEY', event_action: 'acknowledge', dedup_key: 'core:down' });
    expect(pagerdutyBody(p({ kind: 'clear', alarm: { ...p().alarm, state: 'cleared' } }), 'KEY', null)).toEqual({ routing_key: 'KEY', event_action: 'resolve', dedup_key: 'core:down' });
  });

  it('the HTTP template has {alarm.ackUrl}; without a link it is empty', () => {
    const cfg = httpTemplateConfigSchema.parse({ url: 'https://sms.example/send?u={alarm.ackUrl}', body: '{"ack":"{alarm.ackUrl}"}' });
    expect(renderTemplate(cfg.url, placeholderValues(p(), null), 'url')).toBe(`https://sms.example/send?u=${encodeURIComponent(ACK)}`);
    expect(renderTemplate(cfg.body, placeholderValues(p({ ackUrl: undefined }), null), 'json')).toBe('{"ack":""}');
  });
});
