import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpClient, type SnmpTarget } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';
import { TEMPLATES_DIR } from '../../../server/paths.js';
import { compileTemplate } from '../../../server/templates/template-compile.js';
import { TemplateEngine } from '../../../server/templates/template-engine.js';
import { loadTemplateFiles } from '../../../server/templates/template-loader.js';
import { snmprec, startSnmpsim, systemGroup, type SnmpsimHandle } from '../../helpers/snmpsim.js';

/**
 * A template that did not apply (its hasTable absent) is matched again after `templateRecheckMinutes`
 * (default 60), not only at its `rediscoverMinutes` (360): snmpsimd first without, then with hrStorageTable.
 */
const sys = systemGroup({ descr: 'Linux box', objectId: '1.3.6.1.4.1.8072.3.2.10', name: 'box', upTicks: 100_000 });
const storage = [
  snmprec('1.3.6.1.2.1.25.2.3.1.1.1', 'int', 1),
  snmprec('1.3.6.1.2.1.25.2.3.1.3.1', 'str', 'Physical memory'),
  snmprec('1.3.6.1.2.1.25.2.3.1.4.1', 'int', 1024),
  snmprec('1.3.6.1.2.1.25.2.3.1.5.1', 'int', 1000),
  snmprec('1.3.6.1.2.1.25.2.3.1.6.1', 'int', 500),
];
const MIN = 60_000;

describe('re-checking templates that did not apply', () => {
  let sim: SnmpsimHandle;
  const client = new SnmpClient();
  let target: SnmpTarget;
  let compiled: ReturnType<typeof compileTemplate>[];
  const dev = { id: 1, group: null };

  beforeAll(async () => {
    sim = await startSnmpsim({ box: sys });
    target = { address: sim.address, snmp: { version: '2c', port: sim.port, community: 'box', timeoutMs: 2000, retries: 1 } };
    const { templates } = await loadTemplateFiles([TEMPLATES_DIR]);
    compiled = templates.filter((t) => t.body.id === 'host-resources').map((t) => compileTemplate(t.body, { source: 'file' }));
    expect(compiled[0]!.body.rediscoverMinutes).toBe(360);
  }, 90_000);
  afterAll(async () => {
    client.close();
    await sim?.stop();
  });

  const pollAt = async (engine: TemplateEngine, nowMs: number) => {
    const req = engine.request(dev, nowMs);
    const r = await collectDevice(client, target, req ? { templates: req, skip: ['interfaces', 'host', 'lldp', 'cdp', 'ucd'] } : {});
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    return { req, samples: engine.process(dev, r) };
  };

  it('matches a template that did not apply again after 60 minutes by default, and after templateRecheckMinutes when set', async () => {
    for (const [recheck, after] of [[undefined, 60], [15, 15]] as const) {
      sim.write('box', sys);
      await new Promise((r) => setTimeout(r, 1100));
      const engine = new TemplateEngine({ templates: () => compiled, ...(recheck ? { recheckMinutes: recheck } : {}) });
      const t0 = Date.now();
      const first = await pollAt(engine, t0);
      expect(first.req?.templates.map((t) => t.id)).toEqual(['host-resources']);
      expect(engine.report(dev.id).applied).toEqual([]);
      // Not applied: nothing is read for it before the re-check is due.
      expect(engine.request(dev, t0 + (after - 1) * MIN)).toBeUndefined();
      // The table appears (snmpd got its storage view): the re-check finds it.
      sim.write('box', [...sys, ...storage]);
      await new Promise((r) => setTimeout(r, 1100));
      const recheckPoll = await pollAt(engine, t0 + (after + 1) * MIN);
      expect(recheckPoll.req?.templates).toEqual([expect.objectContaining({ id: 'host-resources', hasTable: expect.arrayContaining([expect.any(String)]) })]);
      expect(engine.report(dev.id).applied).toEqual(['host-resources']);
      const next = await pollAt(engine, Date.now());
      expect(next.samples.find((s) => s.metric === 'storage.usedPercent')?.value).toBe(50);
    }
  });

  it('hands the same request object to every poll while nothing changed, and a new one when the modes or the template set change', async () => {
    sim.write('box', [...sys, ...storage]);
    await new Promise((r) => setTimeout(r, 1100));
    let list = compiled;
    const engine = new TemplateEngine({ templates: () => list });
    const t0 = Date.now();
    const discovery = await pollAt(engine, t0);
    expect(discovery.req?.templates[0]?.hasTable.length).toBeGreaterThan(0);
    const values = engine.request(dev, t0 + MIN);
    expect(values?.templates).toEqual([expect.objectContaining({ id: 'host-resources', hasTable: [] })]);
    expect(engine.request(dev, t0 + 2 * MIN)).toBe(values); // cached: no rebuilt copy per poll
    // Rediscovery due (360 min): discovery columns again, a new request; then values again.
    const rediscover = engine.request(dev, t0 + 361 * MIN);
    expect(rediscover).not.toBe(values);
    expect(rediscover?.templates[0]?.hasTable.length).toBeGreaterThan(0);
    // A changed template set (an edit replaces the list): rebuilt, and equal when the content is the same.
    list = compiled.map((t) => ({ ...t }));
    const afterEdit = engine.request(dev, t0 + 361 * MIN);
    expect(afterEdit).not.toBe(rediscover);
    expect(afterEdit).toEqual(rediscover);
  });
});
