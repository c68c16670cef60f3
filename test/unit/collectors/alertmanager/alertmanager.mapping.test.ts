import { describe, expect, it } from 'vitest';
import { AlertDeviceMatcher } from '../../../../server/collectors/alertmanager/alertmanager.devices.js';
import { alertToEvent, deviceOf, hostOf, labelFingerprint, mapSeverity, webhookToEvents } from '../../../../server/collectors/alertmanager/alertmanager.mapping.js';
import { webhookSchema } from '../../../../server/collectors/alertmanager/alertmanager.schema.js';
import { InProcessBus } from '../../../../server/events/bus.js';
import { alert, webhook } from './alertmanager.fixtures.js';

const opts = { deviceLabels: ['instance', 'node', 'host'], defaultSeverity: 'warning' as const, findDevice: () => null, now: 1_000 };
const parsed = (alerts: unknown[]) => webhookSchema.parse(JSON.parse(JSON.stringify(webhook(alerts))));

describe('Alertmanager alerts as events', () => {
  it('maps the severity label to Netwatch severities, unknown or missing to the configured default', () => {
    expect(mapSeverity('critical', 'warning')).toBe('critical');
    expect(mapSeverity('Error', 'warning')).toBe('major');
    expect(mapSeverity('major', 'warning')).toBe('major');
    expect(mapSeverity('warning', 'info')).toBe('warning');
    expect(mapSeverity('minor', 'info')).toBe('minor');
    expect(mapSeverity('none', 'warning')).toBe('info');
    expect(mapSeverity(' info ', 'warning')).toBe('info');
    expect(mapSeverity('page-the-ceo', 'minor')).toBe('minor');
    expect(mapSeverity(undefined, 'major')).toBe('major');
    expect(mapSeverity('constructor', 'minor')).toBe('minor');
  });

  it('computes the fingerprint exactly as Alertmanager 0.25 does (values read from a real one)', () => {
    expect(labelFingerprint(new Map(Object.entries({ alertname: 'NodeDown', instance: '10.0.0.1:9100', severity: 'critical', job: 'node' })))).toBe('252b2321fcc863d4');
    expect(labelFingerprint(new Map(Object.entries({ alertname: 'Ünïcode', zone: '東京' })))).toBe('730f07d78090b954');
    expect(labelFingerprint(new Map())).toBe('cbf29ce484222325');
  });

  it('strips the port (and URL parts) from a device label', () => {
    expect(hostOf('10.0.0.1:9100')).toBe('10.0.0.1');
    expect(hostOf('Node-1.Example.org:9100')).toBe('node-1.example.org');
    expect(hostOf('[2001:db8::1]:9100')).toBe('2001:db8::1');
    expect(hostOf('2001:db8::1')).toBe('2001:db8::1');
    expect(hostOf('https://web.example.org:8443/health')).toBe('web.example.org');
    expect(hostOf('worker-3')).toBe('worker-3');
    expect(hostOf('  ')).toBeNull();
  });

  it('turns a firing alert into an event: type alertname, severity label, summary as message, labels as params', () => {
    const [e] = webhookToEvents(parsed([alert({ alertname: 'NodeDown', instance: '10.0.0.1:9100', severity: 'critical' })]), opts);
    expect(e).toMatchObject({
      source: 'alertmanager', type: 'NodeDown', severity: 'critical', message: 'NodeDown: node is down', sourceAddress: null, deviceId: null,
      receivedAt: 1_000, reportedAt: Date.parse('2026-12-07T05:00:00.123Z'),
    });
    expect(e!.params).toMatchObject({ status: 'firing', fingerprint: 'c6ff0a3b9f2a4d11', alertname: 'NodeDown', hostname: '10.0.0.1', receiver: 'netwatch', externalURL: 'http://am.example:9093' });
    expect({ ...(e!.params.labels as object) }).toEqual({ alertname: 'NodeDown', instance: '10.0.0.1:9100', severity: 'critical' });
  });

  it('turns a resolved alert into an info event with the same fingerprint, reported at its end', () => {
    const [e] = webhookToEvents(parsed([alert({ alertname: 'NodeDown', severity: 'critical' }, { status: 'resolved', endsAt: '2026-12-07T05:10:00Z' })]), opts);
    expect(e).toMatchObject({ severity: 'info', message: 'NodeDown resolved: node is down', reportedAt: Date.parse('2026-12-07T05:10:00Z') });
    expect(e!.params).toMatchObject({ status: 'resolved', fingerprint: 'c6ff0a3b9f2a4d11' });
  });

  it('computes the fingerprint when the sender leaves it out, and falls back to description and a default type', () => {
    const [e] = webhookToEvents(parsed([alert({ job: 'x' }, { fingerprint: undefined, annotations: { description: 'long text' } })]), opts);
    expect(e!.params.fingerprint).toBe(labelFingerprint(new Map([['job', 'x']])));
    expect(e).toMatchObject({ type: 'alertmanager', message: 'alertmanager: long text', severity: 'warning' });
  });

  it('names the device from the first configured label that matches one', () => {
    const found = new Map([['node-2', 7], ['10.0.0.9', 9]]);
    const findDevice = (h: string) => found.get(h) ?? null;
    expect(deviceOf(new Map([['instance', 'unknown:9100'], ['node', 'node-2']]), { deviceLabels: ['instance', 'node'], findDevice })).toEqual({ host: 'node-2', deviceId: 7 });
    expect(deviceOf(new Map([['instance', '10.0.0.9:9100'], ['node', 'node-2']]), { deviceLabels: ['instance', 'node'], findDevice })).toEqual({ host: '10.0.0.9', deviceId: 9 });
    expect(deviceOf(new Map([['instance', 'nothing:1']]), { deviceLabels: ['instance', 'node'], findDevice })).toEqual({ host: 'nothing', deviceId: null });
    expect(deviceOf(new Map([['pod', 'node-2']]), { deviceLabels: ['instance', 'node'], findDevice })).toEqual({ host: null, deviceId: null });
    const e = alertToEvent(parsed([alert({ alertname: 'A', host: 'NODE-2' })]).alerts[0]!, { receiver: 'r' }, { ...opts, findDevice });
    expect(e.deviceId).toBe(7);
  });
});

describe('AlertDeviceMatcher', () => {
  const bus = new InProcessBus(() => {});
  let devices = [
    { id: 3, name: 'core-sw', address: '192.0.2.10' },
    { id: 4, name: 'node1', address: '2001:db8::a' },
    { id: 5, name: 'other', address: 'printer.example.org' },
  ];
  const sysNames = [{ id: 3, sysName: 'CORE-SW.example.org' }];
  const matcher = new AlertDeviceMatcher(() => ({ devices, sysNames }), bus);

  it('matches address, name (any case, or by the first label of an FQDN) and sysName', () => {
    expect(matcher.find('192.0.2.10')).toBe(3);
    expect(matcher.find('2001:0db8:0::a')).toBe(4);
    expect(matcher.find('node1')).toBe(4);
    expect(matcher.find('node1.cluster.local')).toBe(4);
    expect(matcher.find('core-sw.example.org')).toBe(3);
    expect(matcher.find('printer.example.org')).toBe(5);
    expect(matcher.find('192.0.2.11')).toBeNull();
    expect(matcher.find('constructor')).toBeNull();
    expect(matcher.find('__proto__')).toBeNull();
  });

  it('sees a device added once the bus announces it', () => {
    expect(matcher.find('new-node')).toBeNull();
    devices = [...devices, { id: 6, name: 'new-node', address: '192.0.2.66' }];
    bus.publish('device.created', { id: 6 } as never);
    expect(matcher.find('new-node')).toBe(6);
  });
});
