import { describe, expect, it } from 'vitest';
import { mergeConfig, redactConfig, webhookConfigSchema } from '../../../server/notify/channel.schema.js';

describe('notification channel settings: write-only secrets and headers', () => {
  it('shows webhook header names, never their values, and secrets only as "set"', () => {
    const out = redactConfig('webhook', { url: 'http://h/', secret: 'hmac-secret-1', headers: { 'X-Token': 'tok', Authorization: 'Bearer b' } });
    expect(out).toEqual({ url: 'http://h/', secretSet: true, headerNames: ['Authorization', 'X-Token'] });
    expect(redactConfig('webhook', { url: 'http://h/' })).toEqual({ url: 'http://h/', secretSet: false, headerNames: [] });
    expect(redactConfig('slack', { url: 'https://hooks.slack.com/services/T/B/x' })).toEqual({ urlSet: true });
    expect(redactConfig('email', { host: 'mx', password: 'pw' })).toEqual({ host: 'mx', passwordSet: true });
  });

  it('merges an edit: omitted settings and headers are kept, null clears, headers merge by name in any case', () => {
    const cur = { url: 'http://h/', secret: 'hmac-secret-1', headers: { 'X-Token': 'tok', Authorization: 'Bearer b' } };
    expect(mergeConfig(cur, { url: 'http://other/' })).toEqual({ ...cur, url: 'http://other/' });
    expect(mergeConfig(cur, { secret: null })).toEqual({ url: 'http://h/', headers: cur.headers });
    expect(mergeConfig(cur, { headers: { 'x-token': 'new', 'X-Extra': 'e' } }).headers).toEqual({ Authorization: 'Bearer b', 'x-token': 'new', 'X-Extra': 'e' });
    expect(mergeConfig(cur, { headers: { AUTHORIZATION: null } }).headers).toEqual({ 'X-Token': 'tok' });
    expect(mergeConfig(cur, { headers: null })).toEqual({ url: 'http://h/', secret: 'hmac-secret-1' });
    expect(mergeConfig(cur, { headers: {} }).headers).toEqual(cur.headers);
    // Names from the wire stay data: no prototype is touched, and the schema still judges them.
    const odd = mergeConfig(cur, JSON.parse('{"headers": {"constructor": "x", "__proto__": "y"}}') as Record<string, unknown>);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
    const parsed = webhookConfigSchema.parse(odd);
    expect(Object.keys(parsed.headers!)).toEqual(['X-Token', 'Authorization', 'constructor']); // "__proto__" is dropped, never a prototype
    expect(Object.getPrototypeOf(parsed.headers)).toBe(Object.prototype);
  });
});

describe('vendor channel settings', () => {
  it('hides tokens, keys and header values of the new types', () => {
    expect(redactConfig('telegram', { botToken: '1:abc', chatId: '5' })).toEqual({ chatId: '5', botTokenSet: true });
    expect(redactConfig('pagerduty', { routingKey: 'k' })).toEqual({ routingKeySet: true });
    expect(redactConfig('opsgenie', { apiKey: 'k', region: 'eu' })).toEqual({ region: 'eu', apiKeySet: true });
    expect(redactConfig('teams', { url: 'https://t/x', format: 'messageCard' })).toEqual({ format: 'messageCard', urlSet: true });
    expect(redactConfig('alertmanager', { url: 'http://am', password: 'p', headers: { 'X-T': 't' } })).toEqual({ url: 'http://am', passwordSet: true, headerNames: ['X-T'] });
    expect(redactConfig('http', { url: 'http://s', headers: { Authorization: 'x' }, body: '' })).toEqual({ url: 'http://s', body: '', headerNames: ['Authorization'] });
  });
});
