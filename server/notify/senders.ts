import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { AlarmNotificationPayload, ChannelType } from '../contracts/alarms.js';
import type { EmailConfig, SlackConfig, WebhookConfig } from './channel.schema.js';
import { slackBody, subjectLine, textBody } from './message.js';
import { postOutbound } from '../net/outbound-http.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { smtpErrorText, smtpSocket } from './smtp-socket.js';

export const SIGNATURE_HEADER = 'X-Netwatch-Signature';
const TIMEOUT_MS = 10_000;

/** Delivers one notification or throws an Error whose message is safe to show on the channel. */
export type Sender = (config: Record<string, unknown>, payload: AlarmNotificationPayload) => Promise<void>;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The senders, each connecting only where the outbound policy allows (scope `notify`). */
export function createSenders(policy: OutboundPolicy): Record<ChannelType, Sender> {
  const post = (url: string, body: string, headers: Record<string, string>) => postOutbound(url, body, { policy, scope: 'notify', headers, timeoutMs: TIMEOUT_MS });

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

  return { webhook, slack, email };
}
