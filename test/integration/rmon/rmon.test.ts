/**
 * RMON through the real server: Debian's snmpsimd serves an RMON probe recording (alarmTable,
 * eventTable, historyControlTable, etherHistoryTable), net-snmp's `snmptrap` sends risingAlarm /
 * fallingAlarm (v2c, v1 and v3 authPriv) to the server's own trap receiver, the default rule pack raises and
 * clears one alarm per (device, alarmIndex). Debian's snmpd stands in for an agent that refuses our
 * SNMPv3 key; a port nobody listens on for one that does not answer. Every device is on 127.0.0.1:
 * traps resolve to the lowest id, the probe, created first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { RmonHistoryDto, RmonTablesDto } from '../../../server/contracts/rmon.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { CRC_ERRORS_1, IF_IN_OCTETS_1, RMON_ALARM as A, rmonProbe } from '../../helpers/rmon-probe.js';
import { snmprec, startSnmpsim, systemGroup, type SnmpsimHandle } from '../../helpers/snmpsim.js';
import { freeUdpPort, startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { RmonThread } from '../../../server/rmon/rmon-thread.js';
import { run } from '../collectors/collector-helpers.js';
import { until } from '../engine/engine-helpers.js';

let srv: TestServer;
let sim: SnmpsimHandle;
let snmpd: SnmpdHandle;
let admin: ReturnType<typeof apiClient>;
let viewer: ReturnType<typeof apiClient>;
let probeId: number;
let trapTarget: string;
let persist: string;

const RISING = '1.3.6.1.2.1.16.0.1';

/** An agent whose RMON rows carry the wrong types and impossible values. */
function hostileProbe() {
  const a = (col: number, i = 3) => `${A}.${col}.${i}`;
  return [
    ...systemGroup({ descr: 'odd probe', objectId: '1.3.6.1.4.1.99999.17', name: 'odd' }),
    snmprec(a(1), 'str', 'three'), snmprec(a(2), 'counter64', '18446744073709551615'), snmprec(a(3), 'int', 12), snmprec(a(4), 'int', 77),
    snmprec(a(5), 'hex', 'deadbeef'), snmprec(a(12), 'oid', '1.3.6'), snmprec(a(11), 'str', 'x'.repeat(2000)),
    snmprec('1.3.6.1.2.1.16.2.1.1.2.1', 'str', 'not an oid'), snmprec('1.3.6.1.2.1.16.2.1.1.7.1', 'int', 1),
    snmprec('1.3.6.1.2.1.16.2.2.1.3.1.1', 'ticks', 5), snmprec('1.3.6.1.2.1.16.2.2.1.15.1.1', 'int', 20_000),
  ];
}
const FALLING = '1.3.6.1.2.1.16.0.2';

async function mibsLoaded(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    // A keep-alive connection the busy server closed meanwhile (ECONNRESET) is asked again.
    const r = await admin('GET', '/mibs').catch(() => null);
    if (r?.body?.result && !r.body.loading) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the MIB dictionary did not load within 120 s');
}

beforeAll(async () => {
  sim = await startSnmpsim({ rmonprobe: rmonProbe(), hostile: hostileProbe() });
  snmpd = await startSnmpd({ sysName: 'rmon-v3' });
  srv = await startTestServer();
  admin = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  expect((await admin('POST', '/users', { username: 'vera', password: 'vera-password-1', role: 'viewer' })).status).toBe(201);
  viewer = apiClient(srv.url, (await login(srv.url, 'vera', 'vera-password-1')).token);
  const d = await admin('POST', '/devices', { name: 'probe1', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'rmonprobe', timeoutMs: 2000, retries: 1 } });
  expect(d.status).toBe(201);
  probeId = d.body.id;
  trapTarget = `127.0.0.1:${srv.nms.listeners().find((l) => l.name === 'trap-udp' && l.boundPort)!.boundPort}`;
  persist = mkdtempSync(join(tmpdir(), 'nw-rmon-trap-'));
  await mibsLoaded();
}, 180_000);
afterAll(async () => {
  await srv?.stop();
  await sim?.stop();
  await snmpd?.stop();
  if (persist) rmSync(persist, { recursive: true, force: true });
}, 60_000);

const env = () => ({ SNMP_PERSISTENT_DIR: persist, SNMPCONFPATH: persist });
/** risingAlarm/fallingAlarm varbinds as an RMON agent sends them (alarmEntry.<col>.<alarmIndex>). */
const rmonVarbinds = (kind: 'rising' | 'falling', index: number, variable: string, value: number, threshold: number) => [
  `${A}.1.${index}`, 'i', String(index), `${A}.3.${index}`, 'o', variable, `${A}.4.${index}`, 'i', '2', `${A}.5.${index}`, 'i', String(value), `${A}.${kind === 'rising' ? 7 : 8}.${index}`, 'i', String(threshold),
];
const trapV2 = async (trapOid: string, varbinds: string[]) => {
  const r = await run('snmptrap', ['-v', '2c', '-c', 'public', trapTarget, '', trapOid, ...varbinds], 20_000, env());
  expect(r.code, r.stderr).toBe(0);
};
/** SNMPv1 trap: enterprise rmon (1.3.6.1.2.1.16), generic 6, specific 1 (rising) / 2 (falling), agent-addr 127.0.0.1. */
const trapV1 = async (specific: 1 | 2, varbinds: string[]) => {
  const r = await run('snmptrap', ['-v', '1', '-c', 'public', trapTarget, '1.3.6.1.2.1.16', '127.0.0.1', '6', String(specific), '', ...varbinds], 20_000, env());
  expect(r.code, r.stderr).toBe(0);
};
/** A counter of the RMON service on /metrics (component "rmon"). */
const rmonCounter = async (c: string) =>
  Number(new RegExp(`netwatch_component_counter\\{component="rmon",counter="${c}"\\} (\\d+)`).exec(await (await fetch(`${srv.url}/metrics`)).text())?.[1]);
const alarms = async (): Promise<AlarmDto[]> => (await admin('GET', '/alarms?state=all&limit=1000')).body.items as AlarmDto[];
const alarm = async (index: number) => (await alarms()).find((a) => a.reductionKey === `rmonAlarm:${probeId}:${index}`);

describe('RMON-MIB from the IETF MIB set', () => {
  it('loads RMON-MIB (and TOKEN-RING-RMON-MIB, which RMON2-MIB imports), so traps are named risingAlarm/fallingAlarm', async () => {
    const mods = new Map(((await admin('GET', '/mibs')).body.items as { name: string; status: string; file: string }[]).map((m) => [m.name, m]));
    expect(mods.get('RMON-MIB')).toMatchObject({ status: 'ok', file: expect.stringContaining('ietf') });
    expect(mods.get('TOKEN-RING-RMON-MIB')?.status).toBe('ok');
    expect(mods.get('RMON2-MIB')?.status).toBe('ok');
    for (const [oid, label] of [['1.3.6.1.2.1.16.0.1', 'RMON-MIB::risingAlarm'], ['1.3.6.1.2.1.16.0.2', 'RMON-MIB::fallingAlarm'], ['1.3.6.1.2.1.16.3.1.1.1', 'RMON-MIB::alarmIndex']]) {
      expect((await admin('GET', `/oids/${oid}`)).body).toMatchObject({ found: true, label });
    }
  });
});

describe('RMON tables on demand', { timeout: 120_000 }, () => {
  it('GET /devices/:id/rmon walks alarmTable and eventTable, variables named through RMON-MIB/IF-MIB', async () => {
    const r = await admin('GET', `/devices/${probeId}/rmon`);
    expect(r.status, r.text).toBe(200);
    const body = r.body as RmonTablesDto;
    expect(body.truncated).toBe(false);
    expect(body.alarms).toEqual([
      { index: 1, interval: 30, variable: CRC_ERRORS_1, variableName: 'etherStatsCRCAlignErrors.1', sampleType: 'deltaValue', value: 12, startupAlarm: 'risingOrFalling', risingThreshold: 10, fallingThreshold: 2, risingEventIndex: 1, fallingEventIndex: 2, owner: 'monitor', status: 'valid' },
      { index: 2, interval: 60, variable: IF_IN_OCTETS_1, variableName: 'ifInOctets.1', sampleType: 'absoluteValue', value: 5000, startupAlarm: 'risingOrFalling', risingThreshold: 4000, fallingThreshold: 1000, risingEventIndex: 3, fallingEventIndex: 2, owner: 'monitor', status: 'valid' },
    ]);
    expect(body.events).toEqual([
      { index: 1, description: 'Critical: CRC errors on port 1', type: 'logAndTrap', community: 'public', lastTimeSent: 900_000, owner: 'monitor', status: 'valid' },
      { index: 2, description: 'CRC errors back to normal', type: 'log', community: 'public', lastTimeSent: 0, owner: 'monitor', status: 'valid' },
      { index: 3, description: 'octets over the limit', type: 'snmptrap', community: 'public', lastTimeSent: 950_000, owner: 'monitor', status: 'valid' },
    ]);
  });

  it('GET /devices/:id/rmon/history gives the control entries and the samples of the one asked for', async () => {
    const first = (await admin('GET', `/devices/${probeId}/rmon/history`)).body as RmonHistoryDto;
    expect(first.control).toBe(1);
    expect(first.controls.map((c) => [c.index, c.dataSourceName, c.bucketsGranted, c.interval, c.status])).toEqual([
      [1, 'ifIndex.1', 3, 30, 'valid'],
      [2, 'ifIndex.2', 2, 30, 'valid'],
    ]);
    expect(first.samples.map((s) => [s.sampleIndex, s.utilisation, s.octets, s.crcAlignErrors, s.collisions])).toEqual([
      [1, 12.34, 100_000, 0, 1],
      [2, 22.34, 200_000, 7, 2],
      [3, 32.34, 300_000, 0, 3],
    ]);
    // Interval starts 30 s apart on the agent's clock, placed on ours through its sysUpTime.
    const at = first.samples.map((s) => s.intervalStartAt!);
    expect(at[1]! - at[0]!).toBe(30_000);
    expect(at[2]!).toBeLessThan(first.readAt);
    const second = (await admin('GET', `/devices/${probeId}/rmon/history?control=2`)).body as RmonHistoryDto;
    expect(second.control).toBe(2);
    expect(second.samples.map((s) => s.octets)).toEqual([200_000, 400_000]);
    const none = (await admin('GET', `/devices/${probeId}/rmon/history?control=9`)).body as RmonHistoryDto;
    expect(none).toMatchObject({ control: 9, samples: [] });
    for (const bad of ['0', 'x', '70000', '1&extra=1']) expect((await admin('GET', `/devices/${probeId}/rmon/history?control=${bad}`)).status).toBe(400);
  });

  it('an agent sending wrong types and impossible values gets nulls, not guesses and not an error', async () => {
    const d = await admin('POST', '/devices', { name: 'odd-probe', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'hostile', timeoutMs: 2000, retries: 1 } });
    const r = await admin('GET', `/devices/${d.body.id}/rmon`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.alarms).toHaveLength(1);
    expect(r.body.alarms[0]).toMatchObject({ index: 3, interval: null, variable: null, variableName: null, sampleType: 'unknown', value: null, status: 'unknown' });
    expect(r.body.alarms[0].owner).toHaveLength(1000);
    const h = await admin('GET', `/devices/${d.body.id}/rmon/history`);
    expect(h.status, h.text).toBe(200);
    expect(h.body.controls[0]).toMatchObject({ index: 1, dataSource: null, dataSourceName: null, status: 'valid' });
    expect(h.body.samples).toMatchObject([{ sampleIndex: 1, intervalStart: 5, utilisation: null }]);
  });

  it('answers a device that does not answer with 504 snmp_timeout, a refused key with 502 snmp_failed', async () => {
    const base = await rmonCounter('sessions');
    const port = await freeUdpPort();
    const silent = await admin('POST', '/devices', { name: 'rmon-silent', address: '127.0.0.1', icmpEnabled: false, snmp: { port, community: 'public', timeoutMs: 300, retries: 0 } });
    const t = await admin('GET', `/devices/${silent.body.id}/rmon`);
    expect(t.status).toBe(504);
    expect(t.body).toMatchObject({ error: { code: 'snmp_timeout', message: expect.stringContaining('rmon-silent (127.0.0.1) did not answer SNMP') } });
    expect((await admin('GET', `/devices/${silent.body.id}/rmon/history`)).status).toBe(504);
    const v3 = { version: '3', username: snmpd.v3.username, authProtocol: 'sha', authKey: 'wrong-auth-pass', privProtocol: 'aes', privKey: snmpd.v3.privKey };
    const refused = await admin('POST', '/devices', { name: 'rmon-v3-bad', address: '127.0.0.1', icmpEnabled: false, snmp: { port: snmpd.port, timeoutMs: 1000, retries: 0, ...v3 } });
    const f = await admin('GET', `/devices/${refused.body.id}/rmon`);
    expect(f.status).toBe(502);
    expect(f.body).toMatchObject({ error: { code: 'snmp_failed', message: expect.stringContaining('SNMP credentials rejected') } });
    // An agent without RMON answers with empty tables, not an error.
    const v3ok = await admin('POST', '/devices', { name: 'rmon-v3', address: '127.0.0.1', icmpEnabled: false, snmp: { port: snmpd.port, timeoutMs: 2000, retries: 1, ...v3, authKey: snmpd.v3.authKey } });
    expect((await admin('GET', `/devices/${v3ok.body.id}/rmon`)).body).toMatchObject({ alarms: [], events: [] });
    const off = await admin('POST', '/devices', { name: 'rmon-off', address: '127.0.0.4', icmpEnabled: false, snmp: { enabled: false, port: 161, timeoutMs: 1000, retries: 0 } });
    expect((await admin('GET', `/devices/${off.body.id}/rmon`)).status).toBe(400);
    expect((await admin('GET', '/devices/999999/rmon')).status).toBe(404);
    expect((await viewer('GET', `/devices/${probeId}/rmon`)).status).toBe(403);
    // Sessions of edited and deleted devices are closed, not left behind.
    const sessions = await rmonCounter('sessions');
    expect(sessions).toBe(base + 3); // rmon-silent, rmon-v3-bad, rmon-v3
    expect((await admin('DELETE', `/devices/${silent.body.id}`)).status).toBe(204);
    expect((await admin('PATCH', `/devices/${refused.body.id}`, { snmp: { authKey: snmpd.v3.authKey } })).status).toBe(200);
    await until(async () => (await rmonCounter('sessions')) === sessions - 2);
    expect((await admin('GET', `/devices/${refused.body.id}/rmon`)).body).toMatchObject({ alarms: [], events: [] });
    expect(await rmonCounter('sessions')).toBe(sessions - 1);
  });
});

describe('the RMON worker thread', { timeout: 60_000 }, () => {
  it('starts on the first read, stops when idle, starts again for the next read', async () => {
    const thread = new RmonThread(200);
    const req = { target: { address: '127.0.0.1', snmp: { version: '2c' as const, port: sim.port, community: 'rmonprobe', timeoutMs: 2000, retries: 1 } }, label: 'probe', maxRows: 1, maxSamples: 10 };
    try {
      expect(thread.running()).toBe(false);
      const t = await thread.tables(req);
      // maxRows 1: one row of each table, the rest reported as cut.
      expect(t).toMatchObject({ truncated: true, alarms: [{ index: 1, variable: CRC_ERRORS_1, variableName: null }], events: [{ index: 1 }] });
      await until(async () => !thread.running());
      expect((await thread.history(req, 2)).samples).toHaveLength(2);
      expect(thread.stats).toEqual({ starts: 2, deaths: 0 });
      const silent = { ...req, target: { ...req.target, snmp: { ...req.target.snmp, port: await freeUdpPort(), timeoutMs: 200, retries: 0 } } };
      await expect(thread.tables(silent)).rejects.toMatchObject({ name: 'RmonReadError', kind: 'timeout' });
    } finally {
      await thread.close();
    }
    await expect(thread.tables(req)).rejects.toMatchObject({ kind: 'failed', message: 'the server is stopping' });
  });
});

describe('RMON risingAlarm / fallingAlarm from real snmptrap', { timeout: 120_000 }, () => {
  it('v2c: rising raises one alarm per alarmIndex (severity from the eventTable read above), falling clears only its own', async () => {
    await trapV2(RISING, rmonVarbinds('rising', 1, CRC_ERRORS_1, 15, 10));
    const one = await until(() => alarm(1));
    expect(one).toMatchObject({ state: 'active', severity: 'critical', count: 1, title: 'probe1: RMON alarm 1 rising: etherStatsCRCAlignErrors.1 = 15 (rising threshold 10, delta)' });
    await trapV2(RISING, rmonVarbinds('rising', 1, CRC_ERRORS_1, 18, 10));
    await until(async () => (await alarm(1))?.count === 2);
    await trapV2(RISING, rmonVarbinds('rising', 2, IF_IN_OCTETS_1, 4500, 4000));
    const two = await until(() => alarm(2));
    expect(two).toMatchObject({ state: 'active', severity: 'warning', count: 1 });
    expect(two.title).toContain('ifInOctets.1 = 4500 (rising threshold 4000');
    expect(two.id).not.toBe(one.id);
    await trapV2(FALLING, rmonVarbinds('falling', 1, CRC_ERRORS_1, 1, 2));
    await until(async () => (await alarm(1))?.state === 'cleared');
    expect((await alarm(2))!.state).toBe('active');
    expect((await alarms()).filter((a) => a.reductionKey.startsWith(`rmonAlarm:${probeId}:`))).toHaveLength(2);
    // The receiver names the trap and its varbinds through RMON-MIB.
    const events = (await admin('GET', `/events?device=${probeId}&source=trap&limit=20`)).body.items as { type: string; message: string }[];
    expect(events.find((e) => e.type === RISING)?.message).toMatch(/^risingAlarm \(1\.3\.6\.1\.2\.1\.16\.0\.1\): alarmIndex\.\d=\d, alarmVariable\.\d=/);
    expect(events.find((e) => e.type === FALLING)?.message).toMatch(/^fallingAlarm /);
  });

  it('v1: enterprise rmon specific 1/2 raise and clear the same way', async () => {
    await trapV1(2, rmonVarbinds('falling', 2, IF_IN_OCTETS_1, 900, 1000));
    await until(async () => (await alarm(2))?.state === 'cleared');
    await trapV1(1, rmonVarbinds('rising', 3, CRC_ERRORS_1, 40, 30));
    const three = await until(() => alarm(3));
    expect(three).toMatchObject({ state: 'active', severity: 'warning' });
    expect(three.title).toContain('RMON alarm 3 rising: etherStatsCRCAlignErrors.1 = 40');
    await trapV1(2, rmonVarbinds('falling', 3, CRC_ERRORS_1, 1, 5));
    await until(async () => (await alarm(3))?.state === 'cleared');
  });

  it('v3 authPriv: rising and falling from a trap user raise and clear the same way', async () => {
    expect((await admin('POST', '/trap-users', { username: 'rmonprobe', authProtocol: 'sha', authKey: 'rmon-auth-pass-1', privProtocol: 'aes', privKey: 'rmon-priv-pass-1' })).status).toBe(201);
    const v3 = async (trapOid: string, varbinds: string[]) => {
      // The users apply without a restart; the first trap may race the receiver's reload, so repeat until it counts.
      const r = await run('snmptrap', ['-v', '3', '-u', 'rmonprobe', '-l', 'authPriv', '-a', 'SHA', '-A', 'rmon-auth-pass-1', '-x', 'AES', '-X', 'rmon-priv-pass-1', '-e', '0x80001f8804726d6f6e', trapTarget, '', trapOid, ...varbinds], 20_000, env());
      expect(r.code, r.stderr).toBe(0);
    };
    await until(async () => {
      await v3(RISING, rmonVarbinds('rising', 5, CRC_ERRORS_1, 77, 10));
      return alarm(5);
    }, 20_000);
    expect((await alarm(5))!.title).toContain('RMON alarm 5 rising: etherStatsCRCAlignErrors.1 = 77');
    await v3(FALLING, rmonVarbinds('falling', 5, CRC_ERRORS_1, 1, 2));
    await until(async () => (await alarm(5))?.state === 'cleared');
  });

  it('a device whose tables are unknown is read in the background after its first RMON trap, later traps get its severity', async () => {
    const counter = rmonCounter;
    // An edit forgets what the last read taught (the device may now be another agent). The agent
    // without RMON read above stays known (with no rows).
    const known = await counter('known_devices');
    expect(known).toBeGreaterThanOrEqual(1);
    expect((await admin('PATCH', `/devices/${probeId}`, { location: 'rack 2' })).status).toBe(200);
    await until(async () => (await counter('known_devices')) === known - 1);
    const latestRising = async () => ((await admin('GET', `/events?device=${probeId}&type=${RISING}&limit=1`)).body.items as { id: number; severity: string }[])[0];
    const seen = (await latestRising())?.id ?? 0;
    await trapV2(RISING, rmonVarbinds('rising', 1, CRC_ERRORS_1, 30, 10));
    const first = await until(async () => ((await latestRising())?.id ?? 0) > seen && latestRising());
    expect(first.severity).toBe('warning');
    await until(async () => (await counter('known_devices')) === known);
    await trapV2(RISING, rmonVarbinds('rising', 1, CRC_ERRORS_1, 31, 10));
    const second = await until(async () => ((await latestRising())?.id ?? 0) > first.id && latestRising());
    expect(second.severity).toBe('critical');
    await trapV2(FALLING, rmonVarbinds('falling', 1, CRC_ERRORS_1, 0, 2));
    await until(async () => (await alarm(1))?.state === 'cleared');
  });

  it('hostile varbinds are stored as events, raise nothing they should not, and the receiver keeps working', async () => {
    const before = (await alarms()).length;
    // No alarm row at all.
    await trapV2(RISING, ['1.3.6.1.4.1.99.1.1', 's', 'no alarm index here']);
    // alarmIndex as text, alarmVariable as an integer, a value too big for an INTEGER (an opaque uint64).
    await trapV2(RISING, [`${A}.1.40000`, 's', '40000', `${A}.3.40000`, 'i', '5', `${A}.5.40000`, 'U', '18446744073709551615', `${A}.7.40000`, 'x', 'DEADBEEF']);
    // Varbinds naming two different alarm rows and no alarmIndex.
    await trapV2(RISING, [`${A}.5.1`, 'i', '1', `${A}.5.2`, 'i', '2']);
    // Out-of-range alarmIndex.
    await trapV2(FALLING, [`${A}.1.0`, 'i', '0']);
    // The list carries no params: each RMON trap event is read whole.
    const stored = async () => {
      const items = (await admin('GET', `/events?device=${probeId}&source=trap&limit=200`)).body.items as { id: number; type: string }[];
      const rmon = items.filter((e) => e.type === RISING || e.type === FALLING);
      return Promise.all(rmon.map(async (e) => (await admin('GET', `/events/${e.id}`)).body as { params: Record<string, any> }));
    };
    const got = await until(async () => ((await stored()).filter((e) => e.params.rmon.problems).length >= 4 ? stored() : undefined));
    const problems = got.filter((e) => e.params.rmon.problems).map((e) => e.params.rmon);
    expect(problems.filter((p) => p.alarmIndex === null)).toHaveLength(3);
    // The instance gave alarm 40000 its index; the wrong types read as nothing.
    const odd = problems.find((p) => p.alarmIndex === 40000);
    expect(odd).toMatchObject({ variable: null, value: null, threshold: null });
    expect(odd.problems).toEqual(expect.arrayContaining(['alarmIndex is not an integer (OctetString)', 'alarmVariable is not an OID']));
    const after = await alarms();
    expect(after.filter((a) => a.reductionKey === `rmonAlarm:${probeId}:`)).toHaveLength(0);
    expect(after.length).toBe(before + 1);
    expect((await alarm(40000))?.title).toBe('probe1: RMON alarm 40000 rising: unknown variable = ? (rising threshold ?)');
    // Still receiving, still counting.
    await trapV2(RISING, rmonVarbinds('rising', 4, CRC_ERRORS_1, 99, 10));
    await until(() => alarm(4));
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    const counter = (c: string) => Number(new RegExp(`netwatch_component_counter\\{component="rmon",counter="${c}"\\} (\\d+)`).exec(text)?.[1]);
    expect(counter('traps_malformed')).toBeGreaterThanOrEqual(3);
    expect(counter('traps')).toBeGreaterThanOrEqual(10);
  });
});
