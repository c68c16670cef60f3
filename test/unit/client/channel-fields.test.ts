import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMAS, mergeConfig, redactConfig } from '../../../server/notify/channel.schema.js';
import { buildVendorConfig, VENDOR_FIELDS, VENDOR_TYPES, vendorErrors, vendorFormValues } from '../../../client/src/lib/channel-fields.js';

const filled = new Map<string, Map<string, string>>([
  ['teams', new Map([['url', 'https://x.webhook.office.com/webhookb2/abc'], ['format', 'adaptiveCard'], ['consoleUrl', 'https://nms.example.net']])],
  ['telegram', new Map([['botToken', '123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'], ['chatId', '@noc_alerts'], ['parseMode', 'HTML'], ['apiBaseUrl', '']])],
  ['pagerduty', new Map([['routingKey', 'R0UT1NGKEY0123456789ABCDEFabcdef']])],
  ['opsgenie', new Map([['apiKey', 'eb243592-faa2-4ba2-a551-1afdf565c889'], ['region', 'eu']])],
  ['alertmanager', new Map([['url', 'http://am:9093'], ['username', 'nw'], ['password', 'pw'], ['activeForMinutes', '60'], ['headers', 'X-Scope-OrgID: noc\n']])],
  ['http', new Map([['method', 'POST'], ['url', 'https://sms.example.net/send'], ['headers', 'Authorization: Bearer t'], ['bodyFormat', 'json'], ['body', '{"text": "{alarm.title}"}\n']])],
]);

describe('channel form: vendor types', () => {
  it('builds settings the server accepts for every new type', () => {
    for (const t of VENDOR_TYPES) {
      const values = new Map([...vendorFormValues(t, {}), ...filled.get(t)!]);
      const config = buildVendorConfig(t, values);
      const r = CONFIG_SCHEMAS[t].safeParse(config);
      expect(r.success, `${t}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
    expect(buildVendorConfig('alertmanager', new Map([...vendorFormValues('alertmanager', {}), ...filled.get('alertmanager')!]))).toMatchObject({ headers: { 'X-Scope-OrgID': 'noc' }, activeForMinutes: 60 });
  });

  it('asks for required fields, but not for a secret already stored', () => {
    expect([...vendorErrors('telegram', vendorFormValues('telegram', {}), () => false).keys()]).toEqual(['botToken', 'chatId']);
    expect([...vendorErrors('telegram', new Map([['chatId', '1']]), (k) => k === 'botToken').keys()]).toEqual([]);
  });

  it('on edit: secrets start empty and are left out (kept), cleared optional fields are sent as null, removed headers as null', () => {
    const stored = { url: 'http://am:9093', username: 'nw', password: 'pw', headers: { 'X-A': '1' }, activeForMinutes: 60 };
    const shown = redactConfig('alertmanager', stored);
    const values = vendorFormValues('alertmanager', shown);
    expect(values.get('password')).toBe('');
    expect(values.get('url')).toBe('http://am:9093');
    values.set('username', '');
    const patch = buildVendorConfig('alertmanager', values, ['X-A']);
    expect(patch).not.toHaveProperty('password');
    expect(patch.username).toBeNull();
    const merged = mergeConfig(stored, patch);
    expect(merged).toEqual({ url: 'http://am:9093', password: 'pw', headers: {}, activeForMinutes: 60 });
  });

  it('declares only settings the server schema knows', () => {
    for (const t of VENDOR_TYPES) {
      const known = Object.keys(CONFIG_SCHEMAS[t].shape);
      for (const f of VENDOR_FIELDS[t]) expect(known, `${t}.${f.key}`).toContain(f.key);
    }
  });
});
