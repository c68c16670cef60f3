import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { AlarmNotificationPayload, ChannelType } from '../contracts/alarms.js';
import {
  OPSGENIE_BASE,
  type AlertmanagerConfig,
  type EmailConfig,
  type HttpTemplateConfig,
  type OpsgenieConfig,
  type PagerdutyConfig,
  type SlackConfig,
  type TeamsConfig,
  type TelegramConfig,
  type WebhookConfig,
} from './channel.schema.js';
import { alarmLink, alertmanagerBody, opsgenieCloseBody, opsgenieCreateBody, pagerdutyBody, placeholderValues, renderTemplate, teamsBody, telegramBody } from './channel-bodies.js';
import { slackBody, subjectLine, textBody } from './message.js';
import { postOutbound } from '../net/outbound-http.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { smtpErrorText, smtpSocket } from './smtp-socket.js';

export const SIGNATURE_HEADER = 'X-Netwatch-Signature';
const TIMEOUT_MS = 10_000;
/** A rendered HTTP template body larger than this is not sent. */
export const MAX_RENDERED_BODY = 262_144;
const UA = { 'user-agent': 'Netwatch' };
const base = (u: string) => u.replace(/\/+$/, '');

/** Delivers one notification or throws an Error whose message is safe to show on the channel. */
export type Sender = (config: Record<string, unknown>, payload: AlarmNotificationPayload) => Promise<void>;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The senders, each connecting only where the outbound policy allows (scope `notify`). */
export function createSenders(policy: OutboundPolicy): Record<ChannelType, Sender> {
  const post = (url: string, body: string, headers: Record<string, string>, method?: 'POST' | 'PUT' | 'PATCH' | 'GET') =>
    postOutbound(url, body, { policy, scope: 'notify', headers, timeoutMs: TIMEOUT_MS, method });

  const webhook: Sender = async (config, payload) => {
    const c = config as WebhookConfig;
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'user-agent': 'Netwatch', ...(c.headers ?? {}) };
    if (c.secret) headers[SIGNATURE_HEADER] = signBody(c.secret, body);
    await post(c.url, body, headers);
  };

  const slack: Sender = async (config, payload) => {
    await post((config as SlackConfig).url, JSON.stringify(slackBody(payload)), { 'user-agent': 'Netwatch' });
  };

  const email: Sender = async (config, payload) => {
    const c = config as EmailConfig;
    if (isIP(c.host)) policy.assertAllowed('notify', c.host, `SMTP host ${c.host}`);
    const transport = nodemailer.createTransport({
      host: c.host,
      port: c.port,
      secure: c.secure,
      requireTLS: c.requireTls,
      auth: c.username ? { user: c.username, pass: c.password ?? '' } : undefined,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
      // nodemailer resolves names itself; the socket is ours, opened through the policy's lookup.
      getSocket: smtpSocket(policy, c.host, c.port, TIMEOUT_MS),
    });
    try {
      await transport.sendMail({ from: c.from, to: c.to, subject: subjectLine(payload), text: textBody(payload) });
    } catch (err) {
      throw new Error(smtpErrorText(err));
    } finally {
      transport.close();
    }
  };

  const teams: Sender = async (config, payload) => {
    const c = config as TeamsConfig;
    await post(c.url, JSON.stringify(teamsBody(payload, c.format ?? 'messageCard', alarmLink(c.consoleUrl, payload))), UA);
  };

  const telegram: Sender = async (config, payload) => {
    const c = config as TelegramConfig;
    const body = telegramBody(payload, c.chatId, c.parseMode ?? 'HTML', alarmLink(c.consoleUrl, payload));
    await post(`${base(c.apiBaseUrl ?? 'https://api.telegram.org')}/bot${c.botToken}/sendMessage`, JSON.stringify(body), UA);
  };

  const pagerduty: Sender = async (config, payload) => {
    const c = config as PagerdutyConfig;
    const body = pagerdutyBody(payload, c.routingKey, alarmLink(c.consoleUrl, payload));
    await post(`${base(c.apiBaseUrl ?? 'https://events.pagerduty.com')}/v2/enqueue`, JSON.stringify(body), UA);
  };

  const opsgenie: Sender = async (config, payload) => {
    const c = config as OpsgenieConfig;
    const root = `${base(c.apiBaseUrl ?? OPSGENIE_BASE[c.region ?? 'us'])}/v2/alerts`;
    const headers = { ...UA, authorization: `GenieKey ${c.apiKey}` };
    if (payload.kind === 'ack') {
      await post(`${root}/${encodeURIComponent(payload.alarm.reductionKey.slice(0, 512))}/acknowledge?identifierType=alias`, JSON.stringify({ source: 'Netwatch', note: 'Acknowledged in Netwatch' }), headers);
    } else if (payload.kind === 'clear' || payload.alarm.state === 'cleared') {
      await post(`${root}/${encodeURIComponent(payload.alarm.reductionKey.slice(0, 512))}/close?identifierType=alias`, JSON.stringify(opsgenieCloseBody(payload)), headers);
    } else {
      await post(root, JSON.stringify(opsgenieCreateBody(payload, alarmLink(c.consoleUrl, payload))), headers);
    }
  };

  const alertmanager: Sender = async (config, payload) => {
    const c = config as AlertmanagerConfig;
    const headers: Record<string, string> = { ...UA, ...(c.headers ?? {}) };
    if (c.username) headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
    const body = alertmanagerBody(payload, alarmLink(c.consoleUrl, payload), c.activeForMinutes ?? 10_080);
    await post(`${base(c.url)}/api/v2/alerts`, JSON.stringify(body), headers);
  };

  const http: Sender = async (config, payload) => {
    const c = config as HttpTemplateConfig;
    const values = placeholderValues(payload, alarmLink(c.consoleUrl, payload));
    const url = renderTemplate(c.url, values, 'url');
    const format = c.bodyFormat ?? 'json';
    const body = c.method === 'GET' ? '' : renderTemplate(c.body ?? '', values, format);
    if (Buffer.byteLength(body) > MAX_RENDERED_BODY) throw new Error(`rendered body too large (${Buffer.byteLength(body)} bytes, limit ${MAX_RENDERED_BODY})`);
    const contentType = format === 'json' ? 'application/json' : format === 'form' ? 'application/x-www-form-urlencoded' : 'text/plain; charset=utf-8';
    // The channel's own headers come last: a gateway that wants another content type can say so.
    await post(url, body, { ...UA, 'content-type': contentType, ...(c.headers ?? {}) }, c.method ?? 'POST');
  };

  return { webhook, slack, email, teams, telegram, pagerduty, opsgenie, alertmanager, http };
}
