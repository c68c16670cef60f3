/**
 * Rule engine throughput: the default pack plus 200 user rules (half of them
 * with no source/type filter, so every event is tested against them), on one
 * core. Figures: events/s classified by the rules alone, and events/s
 * classified, stored and turned into alarms through the real EventWriter.
 * Target ≥ 20,000/s for the second. A third figure stores the same events
 * without the engine (alternating rounds, best of each), so the ratio
 * survives a noisy machine.
 *
 * The event mix is harsh on purpose: 40 % syslog (5 % Cisco LINK-3-UPDOWN),
 * 30 % traps (linkDown/linkUp/vendor), 20 % ICMP down/up, 10 % polled
 * interface-down; about half the events raise or clear an alarm, and every
 * device's alarms flip state every 200 events (reopen/clear churn).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRuleBody } from '../../server/contracts/alarms.js';
import type { NormalizedEvent } from '../../server/contracts/events.js';
import { InProcessBus } from '../../server/events/bus.js';
import { createEventEngine } from '../../server/events/engine/event-engine.js';
import { inlineReads } from '../../server/store/read-ops.js';
import { EventWriter } from '../../server/events/event-writer.js';
import { OutboundPolicy } from '../../server/net/outbound-policy.js';
import { createLogger } from '../../server/log/logger.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase } from '../../server/store/database.js';
import { DeviceRepository } from '../../server/store/device.repository.js';
import { EventRepository } from '../../server/store/event.repository.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { RuleRepository } from '../../server/store/rule.repository.js';
import { testSecretBox } from '../helpers/secrets.js';

const EVENTS = 100_000;
const ROUNDS = 3;
const USER_RULES = 200;
const DEVICES = 200;
const log = createLogger({ level: 'silent', format: 'json' });

function userRule(i: number): EventRuleBody {
  switch (i % 4) {
    case 0: // generic message regex, any source
      return { kind: 'event', match: { message: `^ERR-${i}-(?<code>\\d+) on (?<port>\\S+)` }, actions: { disposition: 'alarm', severity: 'major', reductionKey: 'u{code}:{deviceOrSource}:{port}' } };
    case 1: // generic params condition, any source
      return { kind: 'event', match: { params: [{ path: 'customer', op: 'eq', value: `cust-${i}` }] }, actions: { severity: 'minor', title: '{device.name}: customer {params.customer}' } };
    case 2: // trap OID prefix + varbind
      return { kind: 'event', match: { sources: ['trap'], trapOidPrefix: `1.3.6.1.4.1.${9000 + i}`, varbinds: [{ oid: '1.3.6.1.2.1.2.2.1.1', op: 'gt', value: 10 }] }, actions: { disposition: 'drop' } };
    default: // syslog app-name + severity + group
      return { kind: 'event', match: { sources: ['syslog'], groups: [`g${i % 7}`], syslog: { appName: `app${i}`, maxSeverity: 4 } }, actions: { severity: 'warning', title: '{device.name} {params.appName}' } };
  }
}

function makeEvents(n: number): NormalizedEvent[] {
  const out: NormalizedEvent[] = new Array(n);
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const dev = (i % DEVICES) + 1;
    const base = { receivedAt: t0 + i, reportedAt: null, sourceAddress: `10.0.${dev >> 8}.${dev & 255}`, deviceId: dev, severity: 'info' as const };
    const k = i % 10;
    if (k < 4) {
      const cisco = i % 20 === 0;
      out[i] = {
        ...base,
        source: 'syslog',
        type: cisco ? 'LINK' : `app${i % 50}`,
        message: cisco ? `%LINK-3-UPDOWN: Interface Gi0/${i % 48}, changed state to ${i % 40 === 0 ? 'down' : 'up'}` : `session ${i} opened for user admin from 192.0.2.${i % 250}`,
        params: { facility: 23, severityNumber: cisco ? 3 : 6, hostname: `sw${dev}`, appName: `app${i % 50}` },
      };
    } else if (k < 7) {
      const ifIndex = i % 48;
      const r = Math.floor(i / DEVICES) % 3;
      const oid = r === 0 ? '1.3.6.1.6.3.1.1.5.3' : r === 1 ? '1.3.6.1.6.3.1.1.5.4' : `1.3.6.1.4.1.9.9.${i % 100}`;
      out[i] = {
        ...base,
        source: 'trap',
        type: oid,
        message: `trap ${oid}`,
        params: { varbinds: [{ oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: i }, { oid: `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, type: 'Integer', value: ifIndex }] },
      };
    } else if (k < 9) {
      out[i] = { ...base, source: 'icmp', type: Math.floor(i / DEVICES) % 2 ? 'icmp.down' : 'icmp.up', message: 'ping', params: { loss: 100 } };
    } else {
      out[i] = { ...base, source: 'poll', type: 'interface.down', message: 'oper down', params: { ifIndex: i % 48, customer: `cust-${i % 300}` } };
    }
  }
  return out;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'nw-rules-bench-'));
  const db = openDatabase(join(dir, 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  const secrets = testSecretBox();
  const devices = new DeviceRepository(db, secrets);
  for (let d = 1; d <= DEVICES; d++) {
    devices.create({
      name: `sw${d}`, address: `10.0.${d >> 8}.${d & 255}`, group: `g${d % 7}`, location: null, tags: [`t${d % 3}`], pollIntervalSec: 60, icmpEnabled: true,
      snmp: { enabled: false, version: '2c', port: 161, community: null, username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 1 },
    });
  }
  const events = new EventRepository(db);
  const bus = new InProcessBus();
  const engine = createEventEngine({ db, bus, log, devices, events, reads: inlineReads(db), secrets, sweepIntervalMs: 3_600_000, outbound: new OutboundPolicy() });
  const rules = new RuleRepository(db);
  for (let i = 0; i < USER_RULES; i++) rules.create({ name: `user ${i}`, description: '', enabled: true, body: userRule(i) });
  engine.reloadRules();
  return { dir, db, events, engine, rules };
}

async function main() {
  const s = setup();
  const ruleCount = s.rules.list().length;

  // 1. Classification only (best of three).
  let evalRate = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const evs = makeEvents(EVENTS);
    const t = performance.now();
    for (let i = 0; i < evs.length; i += 1000) s.engine.preprocess(evs.slice(i, i + 1000));
    evalRate = Math.max(evalRate, EVENTS / ((performance.now() - t) / 1000));
  }
  console.log(JSON.stringify({ bench: 'rules', figure: 'events_classified_per_sec', value: Math.round(evalRate), rules: ruleCount, events: EVENTS, rounds: ROUNDS }));

  // 2. Classified, stored and reduced into alarms through the EventWriter (one transaction per 1,000),
  // alternating with 3. the same events stored by a plain EventWriter (no engine), best of each: the
  // machines are shared and noisy, so the ratio is the figure that travels.
  const before = s.engine.counters();
  let storeRate = 0;
  let plainRate = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const withEngine = new EventWriter(s.events, { flushIntervalMs: 3_600_000, batchSize: 1000, maxQueue: EVENTS + 1, preprocess: (b) => s.engine.preprocess(b), onStored: (b) => s.engine.onStored(b) }, log);
    storeRate = Math.max(storeRate, timeWriter(withEngine, makeEvents(EVENTS)));
    const plain = new EventWriter(s.events, { flushIntervalMs: 3_600_000, batchSize: 1000, maxQueue: EVENTS + 1, onStored: () => {} }, log);
    plainRate = Math.max(plainRate, timeWriter(plain, makeEvents(EVENTS)));
  }
  const c = s.engine.counters();
  const delta = (k: string) => (c[k] ?? 0) - (before[k] ?? 0);
  console.log(JSON.stringify({ bench: 'rules', figure: 'events_classified_stored_alarmed_per_sec', value: Math.round(storeRate), target: 20_000, rules: ruleCount, events: EVENTS, rounds: ROUNDS, alarm_decisions: delta('alarm_decisions'), alarms_raised: delta('alarms_raised'), alarms_reopened: delta('alarms_reopened'), alarms_reduced: delta('alarms_reduced'), alarms_cleared: delta('alarms_cleared') }));
  console.log(JSON.stringify({ bench: 'rules', figure: 'events_stored_without_engine_per_sec', value: Math.round(plainRate), events: EVENTS, rounds: ROUNDS }));
  console.log(JSON.stringify({ bench: 'rules', figure: 'engine_to_plain_store_ratio', value: Math.round((storeRate / plainRate) * 100) / 100 }));
  await s.engine.close();
  s.db.close();
  rmSync(s.dir, { recursive: true, force: true });
}

function timeWriter(w: EventWriter, evs: NormalizedEvent[]): number {
  const t = performance.now();
  for (const e of evs) w.push(e);
  w.flush();
  const rate = evs.length / ((performance.now() - t) / 1000);
  w.close();
  return rate;
}

await main();
