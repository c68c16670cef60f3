/**
 * CPU cost of collection templates per poll: the same simulated switch (snmpsimd, a separate
 * process) polled by the real collector code in this process, without templates (today's poll:
 * system, 48 interfaces, HOST/LLDP/CDP probes, UCD) and with the shipped ENTITY-SENSOR (60
 * sensors, labels by entPhysicalName) and RMON etherStats (48 probes, rates, utilisation via
 * ifHighSpeed) templates applied (values polls; discovery is counted apart). Rounds alternate
 * between the two so machine noise hits both alike. CPU is this process's user+system time
 * (the agent's is not counted), per poll; wall time and requests per poll are given too.
 * BENCH_POLLS (per round and variant, default 100), BENCH_ROUNDS (default 3).
 */
import { SnmpClient, type SnmpTarget } from '../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../server/collectors/snmp/snmp.collect.js';
import { TEMPLATES_DIR } from '../../server/paths.js';
import { compileTemplate } from '../../server/templates/template-compile.js';
import { TemplateEngine } from '../../server/templates/template-engine.js';
import { loadTemplateFiles } from '../../server/templates/template-loader.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine } from '../helpers/snmpsim.js';

const POLLS = Number(process.env.BENCH_POLLS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IF = '1.3.6.1.2.1.2.2.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';
const SENSOR = '1.3.6.1.2.1.99.1.1.1';
const ETHER = '1.3.6.1.2.1.16.1.1.1';

function device(): SnmprecLine[] {
  const l: SnmprecLine[] = [...systemGroup({ descr: 'Cisco IOS Software, C3850', objectId: '1.3.6.1.4.1.9.1.2066', name: 'bench-sw' })];
  for (let i = 1; i <= 48; i++) {
    l.push(snmprec(`${IF}.1.${i}`, 'int', i), snmprec(`${IF}.2.${i}`, 'str', `GigabitEthernet1/0/${i}`), snmprec(`${IF}.3.${i}`, 'int', 6));
    l.push(snmprec(`${IF}.5.${i}`, 'gauge32', 1_000_000_000), snmprec(`${IF}.7.${i}`, 'int', 1), snmprec(`${IF}.8.${i}`, 'int', 1));
    for (const c of [10, 11, 13, 14, 16, 17, 19, 20]) l.push(snmprec(`${IF}.${c}.${i}`, 'counter32', 1000 * i + c));
    l.push(snmprec(`${IFX}.1.${i}`, 'str', `Gi1/0/${i}`), snmprec(`${IFX}.15.${i}`, 'gauge32', 1000));
    for (const c of [6, 7, 8, 9, 10, 11, 12, 13]) l.push(snmprec(`${IFX}.${c}.${i}`, 'counter64', 10_000 * i + c));
    l.push(snmprec(`${ETHER}.1.${i}`, 'int', i), snmprec(`${ETHER}.2.${i}`, 'oid', `1.3.6.1.2.1.2.2.1.1.${i}`));
    for (let c = 3; c <= 19; c++) l.push(snmprec(`${ETHER}.${c}.${i}`, 'counter32', 100 * i + c));
    l.push(snmprec(`${ETHER}.20.${i}`, 'str', 'monitor'), snmprec(`${ETHER}.21.${i}`, 'int', 1));
  }
  for (let s = 1; s <= 60; s++) {
    const idx = 1000 + s;
    l.push(snmprec(`${SENSOR}.1.${idx}`, 'int', [8, 10, 4, 5, 6, 14][s % 6]!), snmprec(`${SENSOR}.2.${idx}`, 'int', s % 2 ? 9 : 8), snmprec(`${SENSOR}.3.${idx}`, 'int', s % 3));
    l.push(snmprec(`${SENSOR}.4.${idx}`, 'int', 100 + s), snmprec(`${SENSOR}.5.${idx}`, 'int', 1), snmprec(`1.3.6.1.2.1.47.1.1.1.1.7.${idx}`, 'str', `sensor ${s}`));
  }
  return l;
}

const sim = await startSnmpsim({ bench: device() });
const client = new SnmpClient();
const target: SnmpTarget = { address: sim.address, snmp: { version: '2c', port: sim.port, community: 'bench', timeoutMs: 3000, retries: 1 } };
const { templates } = await loadTemplateFiles([TEMPLATES_DIR]);
const compiled = templates.filter((t) => ['entity-sensor', 'rmon-etherstats'].includes(t.body.id)).map((t) => compileTemplate(t.body, { source: 'file' }));
const engine = new TemplateEngine({ templates: () => compiled });
const dev = { id: 1, group: null };

let samples = 0;
async function once(withTemplates: boolean): Promise<number> {
  const req = withTemplates ? engine.request(dev) : undefined;
  const r = await collectDevice(client, target, req ? { templates: req } : {});
  if (!r.ok) throw new Error(`poll failed: ${r.error?.message}`);
  if (req) samples = engine.process(dev, r).length;
  return r.requests;
}

// Discovery (first poll with templates), measured alone.
let c0 = process.cpuUsage();
let t0 = performance.now();
await once(true);
let cpu = process.cpuUsage(c0);
process.stdout.write(`${JSON.stringify({ bench: 'templates-poll', variant: 'discovery', cpu_ms: (cpu.user + cpu.system) / 1000, wall_ms: performance.now() - t0 })}\n`);
for (let i = 0; i < 5; i++) {
  await once(false);
  await once(true);
}

const totals = { without: { cpu: 0, wall: 0, req: 0, n: 0 }, with: { cpu: 0, wall: 0, req: 0, n: 0 } };
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of ['without', 'with'] as const) {
    c0 = process.cpuUsage();
    t0 = performance.now();
    let req = 0;
    for (let i = 0; i < POLLS; i++) req += await once(variant === 'with');
    cpu = process.cpuUsage(c0);
    const t = totals[variant];
    t.cpu += (cpu.user + cpu.system) / 1000;
    t.wall += performance.now() - t0;
    t.req += req;
    t.n += POLLS;
  }
}
for (const [variant, t] of Object.entries(totals)) {
  process.stdout.write(
    `${JSON.stringify({ bench: 'templates-poll', variant: `${variant} templates`, polls: t.n, cpu_ms_per_poll: +(t.cpu / t.n).toFixed(3), wall_ms_per_poll: +(t.wall / t.n).toFixed(2), requests_per_poll: +(t.req / t.n).toFixed(1), ...(variant === 'with' ? { template_samples_per_poll: samples } : {}) })}\n`,
  );
}
// The main thread's part alone: building the request a poll hands to its worker (cached per device since
// the request is unchanged between rediscoveries), BENCH_REQUESTS calls on the values-poll state.
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
c0 = process.cpuUsage();
for (let i = 0; i < REQUESTS; i++) engine.request(dev);
cpu = process.cpuUsage(c0);
process.stdout.write(`${JSON.stringify({ bench: 'templates-poll', variant: 'request only', requests: REQUESTS, cpu_us_per_request: +(((cpu.user + cpu.system) / REQUESTS)).toFixed(3) })}\n`);
client.close();
await sim.stop();
