import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { InboxEntryWithProposal, RuleFromEventResult } from '../../../server/contracts/inbox.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { run } from '../collectors/collector-helpers.js';
import { until } from './engine-helpers.js';

/**
 * The unmatched inbox and "Make a rule" against the running server with real
 * peers: net-snmp's `snmptrap` sends an ENTITY-STATE-MIB notification (loaded
 * from the system MIBs) and util-linux `logger` sends Cisco and RFC 5424 lines
 * to the server's own trap and syslog listeners.
 */
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
let persist: string;
let deviceId: number;
let trapPort: number;
let syslogPort: number;
let oid: (name: string) => string;

beforeAll(async () => {
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  deviceId = (await call('POST', '/devices', { name: 'lab-switch', address: '127.0.0.1' })).body.id;
  persist = mkdtempSync(join(tmpdir(), 'nw-inbox-peers-'));
  trapPort = srv.nms.listeners().find((l) => l.name === 'trap-udp' && l.boundPort)!.boundPort!;
  syslogPort = srv.nms.listeners().find((l) => l.name === 'syslog-udp' && l.boundPort)!.boundPort!;
  await until(async () => srv.nms.dictionary.resolveName('ENTITY-STATE-MIB::entStateOperDisabled').found || undefined);
  oid = (name) => {
    const r = srv.nms.dictionary.resolveName(name);
    if (!r.found) throw new Error(`${name} not loaded`);
    return r.oid;
  };
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

const snmptrap = (trapOid: string, ...varbinds: string[]) =>
  run('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${trapPort}`, '', trapOid, ...varbinds], 20_000, { SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
const logger = (...args: string[]) => run('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '--udp', ...args]);
const cisco = (text: string) => logger('--rfc3164', '-p', 'local7.notice', '-t', 'cisco', text);
const inbox = async (all = false): Promise<InboxEntryWithProposal[]> => (await call('GET', `/inbox${all ? '?all=true' : ''}`)).body.items;
const entry = (type: string) => async () => (await inbox()).find((e) => e.type === type);
/** The inbox entry of a type; on a timeout the error carries the engine's inbox counters (a lost datagram or a failed flush). */
const waitEntry = (type: string) =>
  until(entry(type), 30_000).catch(async (err: Error) => {
    const snap = srv.nms.metrics.snapshot();
    const counters = Object.entries(snap).filter(([k]) => /inbox|engine_(evaluated|rule_errors)|syslog|trap/.test(k));
    const events = (await call('GET', `/events?type=${encodeURIComponent(type)}&limit=5`)).body.items.length;
    throw new Error(`${err.message}: no inbox entry ${type}; ${events} such events stored; ${JSON.stringify(counters)}`);
  });
const alarm = async (key: string): Promise<AlarmDto | undefined> => ((await call('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[]).find((a) => a.reductionKey === key);

describe('unmatched inbox with real snmptrap and logger', { timeout: 120_000 }, () => {
  it('lists an unmatched ENTITY-STATE-MIB trap with a Disabled/Enabled proposal; accepting it makes rules that raise and clear per entPhysicalIndex', async () => {
    const disabled = oid('ENTITY-STATE-MIB::entStateOperDisabled');
    const admin = oid('ENTITY-STATE-MIB::entStateAdmin');
    for (let i = 0; i < 3; i++) expect((await snmptrap(disabled, `${admin}.1001`, 'i', '4')).code).toBe(0);
    const e = await until(async () => {
      const x = await entry(disabled)();
      return x && x.count === 3 ? x : undefined;
    });
    expect(e).toMatchObject({ source: 'trap', name: 'ENTITY-STATE-MIB::entStateOperDisabled', deviceCount: 1, devices: [{ id: deviceId, name: 'lab-switch' }], state: 'new' });
    expect(e.sample.message).toContain('entStateOperDisabled');
    expect(e.proposal.kind).toBe('mib-pair');
    expect(e.proposal.rules.map((r) => r.body.actions.disposition)).toEqual(['alarm', 'clear']);

    const accepted = await call('POST', `/inbox/${e.id}/accept`, {});
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.rules).toHaveLength(2);
    expect(await entry(disabled)()).toBeUndefined();
    const audit = await call('GET', '/audit?objectType=inbox');
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain('accept');

    expect((await snmptrap(disabled, `${admin}.1001`, 'i', '4')).code).toBe(0);
    const key = `ENTITY-STATE-MIB::entStateOperDisabled:${deviceId}:1001`;
    expect(await until(() => alarm(key))).toMatchObject({ state: 'active' });
    expect((await snmptrap(oid('ENTITY-STATE-MIB::entStateOperEnabled'), `${admin}.1001`, 'i', '2')).code).toBe(0);
    await until(async () => (await alarm(key))?.state === 'cleared');
    // Matched by the new rules now: not back in the inbox.
    expect(await entry(disabled)()).toBeUndefined();
  });

  it('lists a Cisco mnemonic with an up/down pair; dismissing hides it even when it comes again', async () => {
    expect((await cisco('%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to down')).code).toBe(0);
    const e = await waitEntry('LINEPROTO-5-UPDOWN');
    expect(e.proposal.kind).toBe('syslog-pair');
    const dismissed = await call('POST', `/inbox/${e.id}/dismiss`);
    expect(dismissed.status, dismissed.text).toBe(200);
    expect(dismissed.body.state).toBe('dismissed');
    expect((await cisco('%LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/1, changed state to up')).code).toBe(0);
    await until(async () => (await inbox(true)).find((x) => x.type === 'LINEPROTO-5-UPDOWN' && x.count === 2), 30_000).catch(async (err: Error) => {
      const st = JSON.stringify(Object.entries(srv.nms.metrics.snapshot()).filter(([k]) => /inbox|evaluated|rule_errors/.test(k)));
      const ev = JSON.stringify((await call('GET', '/events?type=LINEPROTO-5-UPDOWN&limit=5')).body.items.map((x: { message: string }) => x.message));
      throw new Error(`${err.message}: ${JSON.stringify((await inbox(true)).find((x) => x.type === 'LINEPROTO-5-UPDOWN'))?.slice(0, 400)} events ${ev} counters ${st}`);
    });
    expect(await entry('LINEPROTO-5-UPDOWN')()).toBeUndefined();
  });

  it('makes a rule from a stored event with its 24 h dry run (matched, alarms = distinct keys, clears), then saving it raises alarms', async () => {
    for (const ifName of ['Gi0/5', 'Gi0/6', 'Gi0/5']) expect((await cisco(`%LINK-4-FLAP: Interface ${ifName}, flapping`)).code).toBe(0);
    const ev = await until(async () => {
      const page = await call('GET', '/events?type=LINK-4-FLAP&limit=10');
      return page.body.items.length === 3 ? page.body.items[0] : undefined;
    });
    const made = await call('POST', `/rules/from-event/${ev.id}`);
    expect(made.status, made.text).toBe(200);
    const r = made.body as RuleFromEventResult;
    expect(r.rule.body.match).toEqual({ sources: ['syslog'], types: ['LINK-4-FLAP'], message: 'Interface (?<ifName>[^\\s,]+)' });
    expect(r.rule.body.actions.reductionKey).toBe('syslog:%LINK-4-FLAP:{deviceOrSource}:{ifName}');
    expect(r.dryRun).toMatchObject({ matched: 3, alarms: 2, clears: 0, truncated: false });
    expect(r.dryRun.to - r.dryRun.from).toBe(24 * 3_600_000);

    // The same figures from the rules API's window dry run (what the dialog asks after an edit).
    const again = await call('POST', '/rules/test', { body: r.rule.body, windowHours: 24 });
    expect(again.body).toMatchObject({ matched: 3, alarms: 2 });

    const saved = await call('POST', '/rules', r.rule);
    expect(saved.status, saved.text).toBe(201);
    expect((await cisco('%LINK-4-FLAP: Interface Gi0/7, flapping')).code).toBe(0);
    expect(await until(() => alarm(`syslog:%LINK-4-FLAP:${deviceId}:Gi0/7`))).toMatchObject({ state: 'active', count: 1 });
  });

  it('RFC 5424 lines: structured data names the object; prototype names and a huge message are data; bad input is a 4xx', async () => {
    const sent = await logger('--rfc5424', '--sd-id', 'port@32473', '--sd-param', 'portName="eth7"', '--sd-param', '__proto__="evil"', '--msgid', 'PORT_DOWN', '-t', 'portd', `port eth7 down ${'x'.repeat(3000)}`);
    expect(sent.code, sent.stderr).toBe(0);
    const e = await waitEntry('PORT_DOWN');
    expect(e.sample.message.length).toBeLessThanOrEqual(2000);
    const stored = await until(async () => (await call('GET', '/events?type=PORT_DOWN&limit=1')).body.items[0]);
    const made = await call('POST', `/rules/from-event/${stored.id}`);
    expect(made.status, made.text).toBe(200);
    expect(made.body.rule.body.actions.reductionKey).toBe('syslog:PORT_DOWN:{deviceOrSource}:{params.structuredData.port@32473.portName}');
    expect(made.body.dryRun.matched).toBe(1);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);

    expect((await call('POST', '/inbox/abc/accept', {})).status).toBe(400);
    expect((await call('POST', '/inbox/999999/dismiss')).status).toBe(404);
    expect((await call('POST', '/rules/from-event/999999999')).status).toBe(404);
    const bad = await call('POST', `/inbox/${e.id}/accept`, { rules: [{ name: 'x', body: { kind: 'event', match: { message: '(a+)+\\1' }, actions: { disposition: 'store' } } }] });
    expect(bad.status).toBe(400);
    expect((await call('POST', `/inbox/${e.id}/accept`, { rules: [], extra: 1 })).status).toBe(400);
    expect((await call('POST', '/rules/test', { body: { kind: 'event', match: {}, actions: { disposition: 'store' } }, windowHours: 10_000 })).status).toBe(400);
    expect((await call('PUT', `/inbox/${e.id}/proposal`, { rules: [{ name: 'x', body: { kind: 'event', match: { message: '(?=x)' }, actions: { disposition: 'store' } } }] })).status).toBe(400);

    // Edit the proposal (kept, audited), then accept it as edited.
    const edited = [{ ...e.proposal.rules[0]!, name: 'Port down (edited)' }];
    const put = await call('PUT', `/inbox/${e.id}/proposal`, { rules: edited });
    expect(put.status, put.text).toBe(200);
    expect(put.body.proposal).toMatchObject({ edited: true, rules: [{ name: 'Port down (edited)' }] });
    const accepted = await call('POST', `/inbox/${e.id}/accept`, {});
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.rules.map((r: { name: string }) => r.name)).toEqual(['Port down (edited)']);
    const audit = JSON.stringify((await call('GET', '/audit?objectType=inbox')).body);
    expect(audit).toContain('"action":"inbox.edit"');
  });
});
