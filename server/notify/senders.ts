import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { AlarmNotificationPayload, ChannelType } from '../contracts/alarms.js';
import type { EmailConfig, SlackConfig, WebhookConfig } from './channel.schema.js';
import { slackBody, subjectLine, textBody } from './message.js';

export const SIGNATURE_HEADER = 'X-Netwatch-Signature';
const TIMEOUT_MS = 10_000;

/** Delivers one notification or throws an Error whose message is safe to show on the channel. */
export type Sender = (config: Record<string, unknown>, payload: AlarmNotificationPayload) => Promise<void>;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`POST failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (res.status < 200 || res.status >= 300) {
    const text = (await res.text().catch(() => '')).slice(0, 200);
    throw new Error(`HTTP ${res.status}${text ? `: ${text}` : ''}`);
  }
  await res.body?.cancel().catch(() => {});
}

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
  const transport = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.secure,
    requireTLS: c.requireTls,
    auth: c.username ? { user: c.username, pass: c.password ?? '' } : undefined,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  try {
    await transport.sendMail({ from: c.from, to: c.to, subject: subjectLine(payload), text: textBody(payload) });
  } catch (err) {
    throw new Error(`SMTP: ${(err as Error).message}`);
  } finally {
    transport.close();
  }
};

export const SENDERS: Record<ChannelType, Sender> = { webhook, slack, email };
