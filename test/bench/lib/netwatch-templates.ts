/**
 * The Netwatch side of poll-capacity-templates with templates: every standard
 * template (templates/ and templates/vendors/) through the real TemplateService
 * and TemplateEngine, as the poller runs them: the engine's request goes with
 * the poll to the worker, the reading comes back and the engine turns it into
 * samples on this (main) thread. Storing the samples in SQLite is not part of
 * it (nor is Prometheus' ingestion on the other side).
 *
 * The engine keeps one poll in flight per device. The open-loop ladder may start
 * a poll of an agent while the previous one still runs, so each agent stands for
 * as many engine devices as it has polls in flight (ids agent + k*N): each is a
 * device of its own to the engine (discovered at its first poll), as a bigger
 * fleet would be.
 */
import type { PollResult } from '../../../server/contracts/poll.js';
import type { TemplateRequest } from '../../../server/contracts/templates.js';
import { createLogger } from '../../../server/log/logger.js';
import { TemplateEngine } from '../../../server/templates/template-engine.js';
import { TemplateService } from '../../../server/templates/template.service.js';

export type Outcome = 'ok' | 'incomplete' | 'failed';

/** Standard templates that apply to every device of the template fleet (template-tables.ts). */
export const EXPECTED_APPLIED = ['cisco-envmon', 'cisco-process', 'entity-sensor', 'rmon-etherstats'];

export interface TemplatePolling {
  templateIds: string[];
  expectedApplied: string[];
  /** One poll of agent `i` (of `n`) with its templates; `poll` sends it to a worker. */
  run(i: number, poll: (templates: TemplateRequest | undefined) => Promise<PollResult>): Promise<{ outcome: Outcome; result: PollResult | null }>;
  stats(): Record<string, number>;
}

export async function templatePolling(fleet: { devices: number; sensors: number; rmonRows: number }): Promise<TemplatePolling> {
  const service = new TemplateService({ dirs: ['templates'], log: createLogger({ level: 'silent', format: 'json' }) });
  await service.start();
  const bad = service.loadReport().filter((r) => r.status !== 'ok');
  if (bad.length) throw new Error(`templates/ does not load: ${JSON.stringify(bad)}`);
  const engine = new TemplateEngine({ templates: () => service.compiled() });
  const busy = new Set<number>();
  /** Engine device ids that have been polled before (their counters have a previous value). */
  const seen = new Set<number>();
  const count = (samples: { metric: string }[], metric: string) => samples.reduce((n, s) => n + (s.metric === metric ? 1 : 0), 0);
  return {
    templateIds: service.compiled().map((t) => t.id),
    expectedApplied: EXPECTED_APPLIED,
    async run(i, poll) {
      let id = i + 1;
      while (busy.has(id)) id += fleet.devices;
      busy.add(id);
      try {
        const dev = { id, group: null };
        const result = await poll(engine.request(dev));
        const samples = engine.process(dev, result);
        if (!result.ok) return { outcome: 'failed', result };
        const applied = new Set(result.templates?.applied ?? []);
        const rates = seen.has(id);
        seen.add(id);
        const complete =
          !result.templates?.error &&
          EXPECTED_APPLIED.every((t) => applied.has(t)) &&
          count(samples, 'sensor.status') === fleet.sensors &&
          count(samples, 'cpu.load5min') === 1 &&
          count(samples, 'sensor.temperatureState') === 2 &&
          // Counters give a rate from the second poll of a device on.
          (!rates || count(samples, 'rmon.pkts') === fleet.rmonRows);
        return { outcome: complete ? 'ok' : 'incomplete', result };
      } finally {
        busy.delete(id);
      }
    },
    stats: () => ({ ...engine.stats }),
  };
}
