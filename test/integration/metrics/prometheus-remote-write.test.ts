import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeWriteRequest } from '../../../server/metrics/remote-write.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';
import { startPrometheus, type PrometheusHandle } from './prometheus-peer.js';

/**
 * remote_write: the real server pushes its device metrics every second to a real Prometheus started with
 * --web.enable-remote-write-receiver; the pushed series are queried back over Prometheus's HTTP API.
 */
let agent: SnmpdHandle;
let prom: PrometheusHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;
const until = <T>(check: () => T | Promise<T>, timeout = 30_000) => vi.waitFor(check, { timeout, interval: 500 });

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'rw-agent' });
  prom = await startPrometheus('global:\n  scrape_interval: 15s\n', ['--web.enable-remote-write-receiver']);
  srv = await startTestServer({ env: { NMS_REMOTE_WRITE_URL: `${prom.url}/api/v1/write`, NMS_REMOTE_WRITE_INTERVAL_SECONDS: '1', NMS_REMOTE_WRITE_BEARER_TOKEN: 'rw-token-abc' } });
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
}, 90_000);
afterAll(async () => {
  await srv?.stop();
  await prom?.stop();
  await agent?.stop();
});

describe('remote_write to a real Prometheus', () => {
  it('pushes the polled device metrics: Prometheus answers ifHCInOctets, ifOperStatus and device state with our labels', async () => {
    const d = await call('POST', '/devices', {
      name: 'rw-lab', address: '127.0.0.1', group: 'lab', icmpEnabled: false, pollIntervalSec: 3600,
      snmp: { version: '2c', community: agent.community, port: agent.port, timeoutMs: 2000, retries: 0 },
    });
    expect(d.status, d.text).toBe(201);
    // Pushed before its first poll: state unknown.
    await until(async () => expect((await prom.query('netwatch_device_state{device="rw-lab",state="unknown"}')).length).toBe(1));
    expect((await call('POST', `/devices/${d.body.id}/poll`)).status).toBe(200);
    const octets = await until(async () => {
      const r = await prom.query('ifHCInOctets{device="rw-lab",ifName="lo"}');
      expect(r.length, prom.output().slice(-1500)).toBe(1);
      return r[0]!;
    });
    expect(octets.metric).toMatchObject({ __name__: 'ifHCInOctets', device: 'rw-lab', address: '127.0.0.1', site: 'central', group: 'lab', ifName: 'lo', ifDescr: 'lo' });
    expect(Number(octets.value[1])).toBeGreaterThan(0);
    // The value pushed is the one exported at /metrics/devices (lo's counter is far below 2^53).
    const exported = /^ifHCInOctets\{device="rw-lab"[^}]*ifName="lo"[^}]*\} (\d+)$/m.exec(await (await fetch(`${srv.url}/metrics/devices`)).text())![1]!;
    expect(octets.value[1]).toBe(exported);
    expect((await prom.query('ifOperStatus{device="rw-lab",ifName="lo"}')).map((s) => s.value[1])).toEqual(['1']);
    // The 'unknown' state of the pushes before the poll was ended with a staleness marker: only 'up' is left
    // (without the marker, 'unknown' would stay visible for Prometheus' 5-minute lookback).
    await until(async () => expect((await prom.query('netwatch_device_state{device="rw-lab"}')).map((s) => `${s.metric.state}=${s.value[1]}`)).toEqual(['up=1']));
    const counters = (await call('GET', '/status')).body.counters as Record<string, number>;
    expect(counters['remote-write.pushes']).toBeGreaterThan(0);
    expect(counters['remote-write.push_failures']).toBe(0);
    expect(counters['remote-write.stale_markers_sent']).toBeGreaterThan(0);
  }, 60_000);
});

describe('remote_write requests on the wire', () => {
  it('sends snappy-compressed protobuf with the remote-write headers and the bearer token', async () => {
    const got: { req: IncomingMessage; body: Buffer }[] = [];
    const sink = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        got.push({ req, body: Buffer.concat(parts) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    const other = await startTestServer({ env: { NMS_REMOTE_WRITE_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/receive`, NMS_REMOTE_WRITE_INTERVAL_SECONDS: '1', NMS_REMOTE_WRITE_BEARER_TOKEN: 'rw-token-abc' } });
    try {
      const c = apiClient(other.url, (await login(other.url, 'admin', other.adminPassword)).token);
      await c('POST', '/devices', { name: 'wire "x"\nnew', address: '127.0.0.1', icmpEnabled: false, pollIntervalSec: 3600, snmp: { version: '2c', community: agent.community, port: agent.port, timeoutMs: 2000, retries: 0 } });
      await until(() => expect(got.length).toBeGreaterThan(0), 15_000);
      const { req, body } = got.at(-1)!;
      expect(req.method).toBe('POST');
      expect(req.headers).toMatchObject({ 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', authorization: 'Bearer rw-token-abc' });
      const series = decodeWriteRequest(body);
      const state = series.find((s) => s.labels.some((l) => l.name === '__name__' && l.value === 'netwatch_device_state'))!;
      // Labels sorted by name, __name__ first, the empty group left out; the hostile device name arrives as it is, unescaped.
      expect(state.labels.map((l) => l.name)).toEqual(['__name__', 'address', 'device', 'site', 'state']);
      expect(state.labels.find((l) => l.name === 'device')!.value).toBe('wire "x"\nnew');
      expect(state.samples).toHaveLength(1);
      expect(Math.abs(state.samples[0]!.timestamp - Date.now())).toBeLessThan(30_000);
    } finally {
      await other.stop();
      await new Promise<void>((r) => sink.close(() => r()));
    }
  }, 60_000);
});
