/**
 * Polls snmpsim recordings (test/fixtures/vendors) the way the poller does with
 * collection templates: the shipped template set (templates/), the engine's
 * request for the device, a real SNMP poll (collectDevice) that reads it, the
 * engine turning the reading into samples, and the built-in threshold rules run
 * through the event engine's ThresholdEvaluator.
 */
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { PollResult } from '../../../server/contracts/poll.js';
import { SnmpClient } from '../../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../../server/collectors/snmp/snmp.collect.js';
import { ThresholdEvaluator } from '../../../server/events/engine/threshold-evaluator.js';
import { createLogger } from '../../../server/log/logger.js';
import type { SampleInput } from '../../../server/store/sample.repository.js';
import { TemplateEngine } from '../../../server/templates/template-engine.js';
import { TemplateService } from '../../../server/templates/template.service.js';
import { startSnmpsim, type SnmpsimHandle, type SnmprecLine } from '../../helpers/snmpsim.js';

export interface Polled {
  result: PollResult;
  samples: SampleInput[];
}

export class VendorHarness {
  private constructor(
    readonly sim: SnmpsimHandle,
    readonly client: SnmpClient,
    readonly service: TemplateService,
    readonly engine: TemplateEngine,
    /** Device id per community (recording). */
    readonly ids: Map<string, number>,
  ) {}

  static async start(recordings: Record<string, SnmprecLine[]>): Promise<VendorHarness> {
    const service = new TemplateService({ dirs: ['templates'], log: createLogger({ level: 'silent', format: 'json' }) });
    await service.start();
    const bad = service.loadReport().filter((r) => r.status !== 'ok');
    if (bad.length) throw new Error(`templates/ does not load: ${JSON.stringify(bad)}`);
    const engine = new TemplateEngine({ templates: () => service.compiled() });
    const sim = await startSnmpsim(recordings);
    const ids = new Map(Object.keys(recordings).map((c, i) => [c, i + 1]));
    return new VendorHarness(sim, new SnmpClient({ socketsPerFamily: 1 }), service, engine, ids);
  }

  /** One poll of the device with this community, templates included. */
  async poll(community: string): Promise<Polled> {
    const dev = { id: this.ids.get(community)!, group: null };
    const templates = this.engine.request(dev);
    const result = await collectDevice(
      this.client,
      { address: this.sim.address, snmp: { version: '2c', port: this.sim.port, community, timeoutMs: 3000, retries: 1 } },
      { templates, skip: ['host', 'lldp', 'cdp', 'ucd'] },
    );
    return { result, samples: this.engine.process(dev, result) };
  }

  /** Ids of the templates that apply to the device (after a poll). */
  applied(community: string): string[] {
    return this.engine
      .deviceView({ id: this.ids.get(community)!, group: null })
      .map((t) => t.id)
      .sort();
  }

  /** The threshold events the template rules raise over these polls (in order), through the real evaluator. */
  thresholdEvents(polls: SampleInput[][]): NormalizedEvent[] {
    const events: NormalizedEvent[] = [];
    const names = new Map([...this.ids].map(([c, id]) => [id, c]));
    const ev = new ThresholdEvaluator(
      (e) => events.push(e),
      (id) => ({ id, name: names.get(id) ?? `device ${id}`, address: this.sim.address, group: null, tags: [] }),
    );
    ev.setRules(this.service.rules(this.engine.appliedDevices()));
    for (const p of polls) ev.evaluate(p);
    return events;
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.sim.stop();
  }
}

/** The value of one sample (metric, instance), or undefined. */
export function valueOf(samples: SampleInput[], metric: string, instance = ''): number | undefined {
  return samples.find((s) => s.metric === metric && s.instance === instance)?.value;
}

/** instance -> value of every sample of a metric. */
export function byInstance(samples: SampleInput[], metric: string): Record<string, number> {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const s of samples) if (s.metric === metric) out[s.instance] = s.value;
  return { ...out };
}

export function unitOf(samples: SampleInput[], metric: string): string | null | undefined {
  return samples.find((s) => s.metric === metric)?.unit;
}
