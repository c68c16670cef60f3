/**
 * Hardware inventory (issue 16), two figures, each beside its reference in the same run:
 * 1. Reading entPhysicalTable of a big modular chassis (snmpsimd, CHASSIS_ITEMS components):
 *    our walk of its 15 columns (SnmpClient.walkColumns, GETBULK, as the poll workers do it)
 *    vs net-snmp's `snmpbulkwalk -Cr25` of the same subtree; and what an inventory read adds
 *    to a whole poll (collectDevice with and without it). Median of alternating runs.
 * 2. Storing snapshots: InventoryService.ingest (diff against the stored rows, events, history)
 *    of DEVICES devices × ITEMS components, unchanged re-reads and reads with changes, vs a raw
 *    better-sqlite3 upsert of the same rows into the same table (no diff): the floor.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { InventoryItem } from '../../server/contracts/inventory.js';
import { SnmpClient } from '../../server/collectors/snmp/snmp.client.js';
import { collectDevice } from '../../server/collectors/snmp/snmp.collect.js';
import { ENTITY_COLUMNS } from '../../server/collectors/snmp/snmp.inventory.js';
import { InProcessBus } from '../../server/events/bus.js';
import { InventoryService } from '../../server/inventory/inventory.service.js';
import { MIGRATIONS_DIR } from '../../server/paths.js';
import { openDatabase, type Db } from '../../server/store/database.js';
import { InventoryRepository } from '../../server/store/inventory.repository.js';
import { migrate, readMigrations } from '../../server/store/migrate.js';
import { snmprec, startSnmpsim, systemGroup, type SnmprecLine } from '../helpers/snmpsim.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHASSIS_ITEMS = Number(process.env.BENCH_CHASSIS_ITEMS ?? 400);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 500);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 100);

const out = (figure: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'inventory', ...figure })}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sh = (cmd: string, args: string[]) =>
  new Promise<{ ok: boolean; stdout: string }>((resolve) => execFile(cmd, args, { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout) => resolve({ ok: !err, stdout })));

/** A chassis with line cards, ports with transceivers, PSUs and fans: CHASSIS_ITEMS rows of 15 columns. */
function chassis(): SnmprecLine[] {
  const ENT = '1.3.6.1.2.1.47.1.1.1.1';
  const lines: SnmprecLine[] = [...systemGroup({ descr: 'bench chassis', objectId: '1.3.6.1.4.1.9.1.2530', name: 'bench' })];
  for (let i = 1; i <= CHASSIS_ITEMS; i++) {
    const cls = i === 1 ? 3 : i % 10 === 0 ? 9 : i % 17 === 0 ? 6 : i % 13 === 0 ? 7 : 10;
    const row: [number, 'str' | 'int' | 'oid', string | number][] = [
      [2, 'str', `component ${i} description text`], [3, 'oid', '1.3.6.1.4.1.9.12.3.1.9.1'], [4, 'int', i === 1 ? 0 : 1], [5, 'int', cls], [6, 'int', i],
      [7, 'str', `Te1/${i}`], [8, 'str', 'V01'], [9, 'str', '17.3.1r'], [10, 'str', '17.3.4'], [11, 'str', `SN${String(i).padStart(8, '0')}`],
      [12, 'str', 'Cisco'], [13, 'str', 'SFP-10G-LR'], [14, 'str', ''], [15, 'str', ''], [16, 'int', cls === 10 ? 2 : 1],
    ];
    for (const [col, tag, v] of row) lines.push(snmprec(`${ENT}.${col}.${i}`, tag, v));
  }
  return lines;
}

async function collection(): Promise<void> {
  const sim = await startSnmpsim({ bench: chassis() });
  const client = new SnmpClient();
  const target = { address: '127.0.0.1', snmp: { version: '2c' as const, port: sim.port, community: 'bench', timeoutMs: 5000, retries: 1 } };
  try {
    const walk: number[] = [];
    const ref: number[] = [];
    let varbinds = 0;
    let refLines = 0;
    const session = await client.open(target as never);
    for (let r = 0; r < RUNS + 1; r++) {
      let t = performance.now();
      const cols = await session.walkColumns(ENTITY_COLUMNS);
      const ms = performance.now() - t;
      varbinds = [...cols.values()].reduce((n, v) => n + v.length, 0);
      t = performance.now();
      const res = await sh('snmpbulkwalk', ['-v2c', '-c', 'bench', '-Cr25', '-On', `127.0.0.1:${sim.port}`, '.1.3.6.1.2.1.47.1.1.1']);
      const refMs = performance.now() - t;
      if (!res.ok) throw new Error('snmpbulkwalk failed');
      refLines = res.stdout.split('\n').filter(Boolean).length;
      // The first round warms snmpsimd's index: not counted.
      if (r > 0) {
        walk.push(ms);
        ref.push(refMs);
      }
    }
    out({ figure: 'entPhysicalTable walk', items: CHASSIS_ITEMS, varbinds, ours_ms: +median(walk).toFixed(1), reference: 'snmpbulkwalk -Cr25 (all columns)', reference_varbinds: refLines, reference_ms: +median(ref).toFixed(1), ratio: +(median(walk) / median(ref)).toFixed(2) });

    const plain: number[] = [];
    const withInv: number[] = [];
    let reqPlain = 0;
    let reqInv = 0;
    for (let r = 0; r < RUNS; r++) {
      const a = await collectDevice(client, target as never, {});
      const b = await collectDevice(client, target as never, { inventory: { always: true, ifUptimeBelowCs: null } });
      if (b.inventory?.length !== CHASSIS_ITEMS) throw new Error(`inventory read ${b.inventory?.length ?? 'nothing'} of ${CHASSIS_ITEMS}`);
      plain.push(a.durationMs);
      withInv.push(b.durationMs);
      reqPlain = a.requests;
      reqInv = b.requests;
    }
    out({ figure: 'poll with inventory read', items: CHASSIS_ITEMS, ours_ms: +median(withInv).toFixed(1), ours_requests: reqInv, reference: 'same poll without inventory', reference_ms: +median(plain).toFixed(1), reference_requests: reqPlain, ratio: +(median(withInv) / median(plain)).toFixed(2) });
  } finally {
    client.close();
    await sim.stop();
  }
}

function freshDb(): { db: Db; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nw-bench-inv-'));
  const db = openDatabase(join(dir, 'netwatch.db'));
  migrate(db, readMigrations(MIGRATIONS_DIR));
  const dev = db.prepare('INSERT INTO devices (id, name, address, created_at, updated_at) VALUES (?, ?, ?, 0, 0)');
  db.transaction(() => {
    for (let d = 1; d <= DEVICES; d++) dev.run(d, `dev${d}`, `127.0.${d >> 8}.${d & 255}`);
  })();
  return { db, dir };
}

const items = (device: number, round: number, changed: number): InventoryItem[] =>
  Array.from({ length: ITEMS }, (_, i) => ({
    index: String(i + 1), parentIndex: i === 0 ? null : '1', class: i === 0 ? 'chassis' : 'module', name: `slot ${i + 1}`, descr: `component ${i + 1} of dev${device}`,
    model: 'C9400-LC-48T', serial: i < changed ? `SN${device}-${i}-r${round}` : `SN${device}-${i}`, hardwareRev: 'V01', firmwareRev: '17.3.1r', softwareRev: '17.3.4',
    manufacturer: 'Cisco', fru: true,
  }));

function storing(): void {
  // Ours: baseline, then unchanged re-reads, then re-reads with 2 swapped modules per device.
  const { db, dir } = freshDb();
  const repo = new InventoryRepository(db);
  const bus = new InProcessBus();
  let events = 0;
  bus.subscribe('event.received', () => events++);
  const service = new InventoryService({ repo, bus, log: pino({ level: 'silent' }), device: (id) => ({ name: `dev${id}`, address: '127.0.0.1' }) });
  // Reads 16 minutes apart (as ENTITY-MIB reads are, hours apart): every one goes to the database.
  let clock = Date.now() - 24 * 3_600_000;
  const round = (r: number, changed: number, gapMs = 16 * 60_000) => {
    clock += gapMs;
    const snaps = Array.from({ length: DEVICES }, (_, d) => ({ deviceId: d + 1, source: 'entity-mib', collectedAt: clock, items: items(d + 1, r, changed) }));
    const t = performance.now();
    for (const s of snaps) service.ingest(s);
    return (performance.now() - t) / DEVICES;
  };
  const baseline = round(0, 0);
  const unchanged = median([round(0, 0), round(0, 0), round(0, 0)]);
  const withChanges = median([round(1, 2), round(2, 2), round(3, 2)]);
  // Template inventory columns may come every poll: equal snapshots within 15 minutes only move the read time.
  const fast = median([round(3, 2, 60_000), round(3, 2, 60_000), round(3, 2, 60_000)]);
  db.close();
  rmSync(dir, { recursive: true, force: true });

  // Reference: the same rows upserted with one prepared statement per row, no diff, no events.
  const ref = freshDb();
  const upsert = ref.db.prepare(
    `INSERT INTO inventory_items (device_id, source, idx, parent_idx, class, name, descr, model, serial, hardware_rev, firmware_rev, software_rev, manufacturer, fru, first_seen, last_seen)
     VALUES (?, 'entity-mib', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (device_id, source, idx) DO UPDATE SET serial = excluded.serial, last_seen = excluded.last_seen`,
  );
  const refRound = (r: number) => {
    const all = Array.from({ length: DEVICES }, (_, d) => items(d + 1, r, 2));
    const t = performance.now();
    all.forEach((list, d) =>
      ref.db.transaction(() => {
        const now = Date.now();
        for (const i of list) upsert.run(d + 1, i.index, i.parentIndex, i.class, i.name, i.descr, i.model, i.serial, i.hardwareRev, i.firmwareRev, i.softwareRev, i.manufacturer, 1, now, now);
      })(),
    );
    return (performance.now() - t) / DEVICES;
  };
  refRound(0);
  const refMs = median([refRound(1), refRound(2), refRound(3)]);
  ref.db.close();
  rmSync(ref.dir, { recursive: true, force: true });
  const common = { devices: DEVICES, items_per_snapshot: ITEMS, reference: 'raw better-sqlite3 upsert of the same rows, one transaction per snapshot', reference_ms_per_snapshot: +refMs.toFixed(3) };
  out({ figure: 'snapshot stored, baseline', ours_ms_per_snapshot: +baseline.toFixed(3), ...common, ratio: +(baseline / refMs).toFixed(2) });
  out({ figure: 'snapshot stored, unchanged', ours_ms_per_snapshot: +unchanged.toFixed(3), ...common, ratio: +(unchanged / refMs).toFixed(2) });
  out({ figure: 'snapshot equal to the last one, 1 min later (template every poll)', ours_ms_per_snapshot: +fast.toFixed(3), ...common, ratio: +(fast / refMs).toFixed(2) });
  out({ figure: 'snapshot stored, 2 modules swapped', ours_ms_per_snapshot: +withChanges.toFixed(3), events_total: events, ...common, ratio: +(withChanges / refMs).toFixed(2) });
}

await collection();
storing();
