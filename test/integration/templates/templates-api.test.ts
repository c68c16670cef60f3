import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDto } from '../../../server/contracts/alarms.js';
import type { DeviceTemplateDto } from '../../../server/contracts/templates.js';
import { startSnmpd, type SnmpdHandle } from '../../helpers/snmpd.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine, type SnmpsimHandle } from '../../helpers/snmpsim.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

/** The template API and engine inside the real server: snmpd for HOST-RESOURCES, snmpsimd for a threshold scalar. */
let agent: SnmpdHandle;
let sim: SnmpsimHandle;
let srv: TestServer;
let call: ReturnType<typeof apiClient>;

const LOAD_OID = '1.3.6.1.4.1.99999.1.1.0';
const TEMP_ENTRY = '1.3.6.1.4.1.99999.2.1.1';
let temps: [number, number] = [20, 20];
const simLines = (load: number): SnmprecLine[] => [
  ...systemGroup({ descr: 'Acme OS 1.0', objectId: '1.3.6.1.4.1.99999.1', name: 'acme-1', upTicks: 100_000 }),
  snmprec(LOAD_OID, 'gauge32', load),
  snmprec(`${TEMP_ENTRY}.2.1`, 'str', 'probe-a'),
  snmprec(`${TEMP_ENTRY}.2.2`, 'str', 'probe-b'),
  snmprec(`${TEMP_ENTRY}.3.1`, 'int', temps[0]),
  snmprec(`${TEMP_ENTRY}.3.2`, 'int', temps[1]),
];
let currentLoad = 10;
/** snmpsimd notices a changed recording by its mtime (seconds). */
const setLoad = async (load: number) => {
  currentLoad = load;
  await new Promise((r) => setTimeout(r, 1100));
  sim.write('acme', simLines(load));
};
const setTemps = async (a: number, b: number) => {
  temps = [a, b];
  await setLoad(currentLoad);
};

async function walk(port: number, oid: string): Promise<Map<string, string>> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile('snmpwalk', ['-v2c', '-c', 'public', '-On', '-Oq', '-Oe', '-OU', '-t', '2', `127.0.0.1:${port}`, oid], (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0 && line.startsWith(`.${oid}.`)) m.set(line.slice(oid.length + 2, i), line.slice(i + 1).replace(/^"|"$/g, ''));
  }
  return m;
}

beforeAll(async () => {
  agent = await startSnmpd({ sysName: 'hr-agent' });
  sim = await startSnmpsim({ acme: simLines(10) });
  srv = await startTestServer();
  call = apiClient(srv.url, (await login(srv.url, 'admin', srv.adminPassword)).token);
  for (let i = 0; i < 300; i++) {
    if ((await call('GET', '/oids/SNMPv2-MIB::sysUpTime')).body?.found) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('OID dictionary did not load');
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  await agent?.stop();
  await sim?.stop();
});

const deviceTemplates = async (id: number): Promise<DeviceTemplateDto[]> => (await call('GET', `/devices/${id}/templates`)).body.items;

describe('collection templates in the server', { timeout: 120_000 }, () => {
  it('lists the shipped file templates with their load report; file templates are read-only', async () => {
    const list = await call('GET', '/templates');
    expect(list.status).toBe(200);
    const ids = list.body.items.map((t: { id: string }) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['host-resources', 'entity-sensor', 'rmon-etherstats']));
    expect(list.body.items.find((t: { id: string }) => t.id === 'entity-sensor')).toMatchObject({ source: 'file', file: 'entity-sensor.yaml' });
    expect(list.body.loadReport.every((r: { status: string }) => r.status === 'ok')).toBe(true);
    expect((await call('PUT', '/templates/host-resources', { template: { id: 'host-resources', name: 'x', scalars: [{ name: 'a', oid: '1.3.6.1.2.1.1.3.0' }] } })).status).toBe(409);
    expect((await call('DELETE', '/templates/host-resources')).status).toBe(409);
    expect((await call('GET', '/templates/no-such')).status).toBe(404);
  });

  it('collects hrStorageTable in bytes and hrProcessorTable per core, as snmpwalk reads them', async () => {
    const d = (await call('POST', '/devices', { name: 'hr-1', address: '127.0.0.1', icmpEnabled: false, snmp: { port: agent.port, community: agent.community } })).body;
    expect((await call('POST', `/devices/${d.id}/poll`)).body.status.snmpState).toBe('up');
    const [descr, units, size, used, procs] = await Promise.all(
      ['1.3.6.1.2.1.25.2.3.1.3', '1.3.6.1.2.1.25.2.3.1.4', '1.3.6.1.2.1.25.2.3.1.5', '1.3.6.1.2.1.25.2.3.1.6', '1.3.6.1.2.1.25.3.3.1.2'].map((o) => walk(agent.port, o)),
    );
    const hr = (await deviceTemplates(d.id)).find((t) => t.id === 'host-resources')!;
    expect(hr).toBeDefined();
    const storage = hr.instances.filter((i) => i.table === 'hrStorageTable');
    expect(storage.map((i) => i.index).sort()).toEqual([...descr.keys()].sort());
    for (const inst of storage) {
      expect(inst.label).toBe(descr.get(inst.index));
      const unit = Number(units.get(inst.index)!.replace(/ Bytes$/, ''));
      const v = new Map(inst.values.map((x) => [x.metric, x.value]));
      expect(v.get('storage.sizeBytes'), inst.label).toBe(Number(size.get(inst.index)) * unit);
      // Memory moves between the walk and the poll: within 5 % of the size.
      const usedBytes = Number(used.get(inst.index)) * unit;
      expect(Math.abs(v.get('storage.usedBytes')! - usedBytes)).toBeLessThanOrEqual(0.05 * Number(size.get(inst.index)) * unit + unit);
      if (Number(size.get(inst.index)) > 0) expect(v.get('storage.usedPercent')).toBeCloseTo((100 * v.get('storage.usedBytes')!) / v.get('storage.sizeBytes')!, 6);
    }
    // net-snmp answers hrProcessorLoad only after a minute of samples: the cores are those with a load now.
    const cores = hr.instances.filter((i) => i.table === 'hrProcessorTable');
    expect(cores.map((i) => i.label).sort()).toEqual([...procs.keys()].sort());
    for (const c of cores) expect(c.values[0]?.metric).toBe('cpu.load');
    // Stored as ordinary metrics: the series endpoint answers per instance.
    const root = storage.find((i) => i.label === '/') ?? storage[0]!;
    const series = await call('GET', `/metrics?device=${d.id}&metric=storage.sizeBytes&instance=${encodeURIComponent(root.label)}`);
    expect(series.status).toBe(200);
    expect(series.body.series[0].points[0].value).toBe(root.values.find((x) => x.metric === 'storage.sizeBytes')!.value);
  });

  it('refuses hostile template bodies with 400 and the path of the problem', async () => {
    const base = { id: 'hostile', name: 'H', scalars: [{ name: 'x', oid: '1.3.6.1.2.1.1.3.0' }] };
    const bad = async (body: unknown) => call('POST', '/templates', body);
    let r = await bad({ template: { ...base, applies: { sysDescr: '(a+)+\\1' } } });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/applies.sysDescr/);
    r = await bad({ template: { ...base, scalars: [{ name: 'x', oid: '1.3.6.1.2.1.1.3.x' }] } });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/scalars.0.oid/);
    r = await call('POST', '/templates', JSON.parse(`{"template": {"id": "hostile", "name": "H", "__proto__": {"polluted": true}, "scalars": [{"name": "x", "oid": "1.3.6.1.2.1.1.3.0", "states": {"__proto__": "x"}}]}}`));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/__proto__/);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    r = await bad({ text: `id: hostile\nname: H\ndescription: "${'x'.repeat(300_000)}"\n` });
    expect([400, 413]).toContain(r.status);
    r = await bad({ template: { ...base, tables: Array.from({ length: 40 }, (_, i) => ({ name: `t${i}`, entry: `1.3.6.1.4.1.9.${i}`, metrics: [{ name: `m${i}`, column: 1 }] })) } });
    expect(r.status).toBe(400);
    r = await bad({ text: 'id: hostile\nname: &a H\ndescription: *a\nscalars: [{name: x, oid: 1.3.6.1.2.1.1.3.0}]\n' });
    expect(r.status).toBe(400);
    expect((await call('GET', '/templates/hostile')).status).toBe(404);
  });

  it('raises a template threshold after forPolls polls, keeps it within the hysteresis band, clears it, and edits/deletes custom templates', async () => {
    const d = (await call('POST', '/devices', { name: 'acme-1', address: '127.0.0.1', icmpEnabled: false, snmp: { port: sim.port, community: 'acme' } })).body;
    const text = [
      'id: acme-load',
      'name: Acme load',
      'applies: { sysObjectIdPrefix: [1.3.6.1.4.1.99999.] }',
      'scalars:',
      `  - { name: acme.load, oid: ${LOAD_OID}, unit: '%', thresholds: [{ op: '>', value: 50, clear: 40, severity: minor, forPolls: 2 }] }`,
    ].join('\n');
    const created = await call('POST', '/templates', { text });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'acme-load', source: 'custom', sourceText: text });
    expect((await call('POST', '/templates', { text })).status).toBe(409);

    const poll = async () => expect((await call('POST', `/devices/${d.id}/poll`)).body.status.snmpState).toBe('up');
    const alarm = async (): Promise<AlarmDto | undefined> =>
      ((await call('GET', '/alarms?state=all')).body.items as AlarmDto[]).find((a) => a.deviceId === d.id && a.reductionKey.includes('acme.load'));
    const waitAlarm = async (pred: (a: AlarmDto | undefined) => boolean) => {
      for (let i = 0; i < 50; i++) {
        const a = await alarm();
        if (pred(a)) return a;
        await new Promise((r) => setTimeout(r, 100));
      }
      return alarm();
    };
    await poll(); // discovery: the template applies, its rule follows
    await new Promise((r) => setTimeout(r, 800));
    await setLoad(60);
    await poll();
    await new Promise((r) => setTimeout(r, 500));
    expect(await alarm()).toBeUndefined(); // one poll over: forPolls 2 not reached
    await poll();
    const raised = await waitAlarm((a) => a?.state === 'active');
    expect(raised).toMatchObject({ state: 'active', severity: 'minor' });
    await setLoad(45); // below 50 but above the clear level 40: stays
    await poll();
    await new Promise((r) => setTimeout(r, 500));
    expect((await alarm())?.state).toBe('active');
    await setLoad(30);
    await poll();
    expect((await waitAlarm((a) => a?.state !== 'active'))?.state).toBe('cleared');

    const view = (await deviceTemplates(d.id)).find((t) => t.id === 'acme-load')!;
    expect(view.scalars).toEqual([expect.objectContaining({ metric: 'acme.load', value: 30, unit: '%' })]);
    // The latest values export carries template values too.
    const exposition = await (await fetch(`${srv.url}/metrics/devices`)).text();
    expect(exposition).toMatch(/^netwatch_template_value\{.*device="acme-1".*metric="acme.load",instance=""\} 30$/m);

    // Edit (id fixed), then delete.
    expect((await call('PUT', '/templates/acme-load', { text: text.replace('id: acme-load', 'id: other') })).status).toBe(400);
    const edited = await call('PUT', '/templates/acme-load', { text: text.replace('Acme load', 'Acme load v2') });
    expect(edited.status).toBe(200);
    expect(edited.body.name).toBe('Acme load v2');
    expect((await call('DELETE', '/templates/acme-load')).status).toBe(204);
    expect((await call('GET', '/templates/acme-load')).status).toBe(404);
  });

  it('raises a table threshold per instance: only the hot probe alarms, and it clears below its clear level', async () => {
    const d = (await call('GET', '/devices')).body.items.find((x: { name: string }) => x.name === 'acme-1');
    const created = await call('POST', '/templates', {
      template: {
        id: 'acme-temps',
        name: 'Acme temperatures',
        applies: { vendor: ['enterprise 99999'] },
        tables: [{ name: 'acmeTempTable', entry: TEMP_ENTRY, label: 2, metrics: [{ name: 'acme.temp', column: 3, unit: 'C', thresholds: [{ op: '>', value: 70, clear: 60, severity: 'major' }] }] }],
      },
    });
    expect(created.status).toBe(201);
    const poll = async () => expect((await call('POST', `/devices/${d.id}/poll`)).body.status.snmpState).toBe('up');
    const alarms = async (): Promise<AlarmDto[]> =>
      ((await call('GET', '/alarms?state=all')).body.items as AlarmDto[]).filter((a) => a.deviceId === d.id && a.reductionKey.includes('acme.temp'));
    await poll();
    await new Promise((r) => setTimeout(r, 800));
    await setTemps(80, 20);
    await poll();
    for (let i = 0; i < 50 && (await alarms()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const raised = await alarms();
    expect(raised.map((a) => [a.reductionKey.endsWith(':probe-a'), a.state, a.severity])).toEqual([[true, 'active', 'major']]);
    await setTemps(65, 20); // inside the hysteresis band
    await poll();
    await new Promise((r) => setTimeout(r, 500));
    expect((await alarms()).map((a) => a.state)).toEqual(['active']);
    await setTemps(55, 20);
    await poll();
    for (let i = 0; i < 50 && (await alarms())[0]?.state === 'active'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await alarms()).map((a) => a.state)).toEqual(['cleared']);
    expect((await call('DELETE', '/templates/acme-temps')).status).toBe(204);
  });

  it('dry-runs a template body against a device without storing it', async () => {
    const d = (await call('GET', '/devices')).body.items.find((x: { name: string }) => x.name === 'acme-1');
    await setLoad(30);
    const r = await call('POST', '/templates/test', { deviceId: d.id, template: { id: 'dry', name: 'Dry', scalars: [{ name: 'dry.load', oid: LOAD_OID, multiplier: 2 }] } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ applied: true, error: null, samples: [{ metric: 'dry.load', instance: '', value: 60 }] });
    expect((await call('GET', '/templates/dry')).status).toBe(404);
    expect((await call('POST', '/templates/test', { deviceId: d.id, template: { id: 'dry' } })).status).toBe(400);
  });

  it('"Poll this table": a table or a column given to custom OIDs becomes a generated template for the device, grown column by column', async () => {
    const d = (await call('GET', '/devices')).body.items.find((x: { name: string }) => x.name === 'hr-1');
    const col = await call('POST', '/custom-oids', { deviceId: d.id, oid: 'HOST-RESOURCES-MIB::hrStorageUsed' });
    expect(col.status).toBe(201);
    expect(col.body.kind).toBe('template');
    const id = col.body.template.id;
    expect(col.body.template).toMatchObject({ source: 'custom', deviceId: d.id });
    const more = await call('POST', '/custom-oids', { deviceId: d.id, oid: '1.3.6.1.2.1.25.2.3.1.5' });
    expect(more.body.template.id).toBe(id);
    expect(more.body.template.body.tables[0].metrics.map((m: { name: string }) => m.name)).toEqual(['hrStorageUsed', 'hrStorageSize']);
    const table = await call('POST', '/custom-oids', { deviceId: d.id, oid: 'IF-MIB::ifTable' });
    expect(table.status).toBe(201);
    const ifMetrics = table.body.template.body.tables[0].metrics;
    expect(ifMetrics.find((m: { name: string }) => m.name === 'ifInOctets')).toMatchObject({ type: 'counter' });
    expect(ifMetrics.find((m: { name: string }) => m.name === 'ifOperStatus').states).toMatchObject({ '1': 'up', '2': 'down' });
    expect((await call('POST', '/custom-oids', { deviceId: d.id, oid: 'HOST-RESOURCES-MIB::hrStorageDescr' })).status).toBe(400);
    await call('POST', `/devices/${d.id}/poll`);
    const view = (await deviceTemplates(d.id)).find((t) => t.id === id)!;
    expect(view.instances.length).toBeGreaterThan(0);
    expect(view.instances[0]!.values.map((v) => v.metric).sort()).toEqual(['hrStorageSize', 'hrStorageUsed']);
    const metrics = (await call('GET', `/devices/${d.id}/metrics`)).body.items.map((m: { name: string }) => m.name);
    expect(metrics).toEqual(expect.arrayContaining(['hrStorageUsed', 'hrStorageSize', 'ifOperStatus']));
  });
});
