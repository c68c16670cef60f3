import type { Db } from './database.js';
import { keyForDb, textForDb } from './key-text.js';

export interface ManualLink {
  id: number;
  aDeviceId: number;
  aPort: string | null;
  bDeviceId: number;
  bPort: string | null;
}

/** Manual links and saved node positions of the topology map. */
export class TopologyRepository {
  private readonly stmts;
  private readonly text: ReturnType<typeof textForDb>;
  private readonly nodeKey: ReturnType<typeof keyForDb>;

  constructor(private readonly db: Db) {
    this.text = textForDb(db);
    this.nodeKey = keyForDb(db, 2000);
    this.stmts = {
      links: db.prepare<[], { id: number; a_device_id: number; a_port: string | null; b_device_id: number; b_port: string | null }>(
        'SELECT id, a_device_id, a_port, b_device_id, b_port FROM topology_links ORDER BY id',
      ),
      addLink: db.prepare<[number, string | null, number, string | null, number], { id: number }>(
        'INSERT INTO topology_links (a_device_id, a_port, b_device_id, b_port, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
      ),
      deleteLink: db.prepare<[number]>('DELETE FROM topology_links WHERE id = ?'),
      positions: db.prepare<[], { node_id: string; x: number; y: number }>('SELECT node_id, x, y FROM topology_positions ORDER BY node_id'),
      savePosition: db.prepare<[string, number, number, number]>(
        'INSERT INTO topology_positions (node_id, x, y, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET x = excluded.x, y = excluded.y, updated_at = excluded.updated_at',
      ),
      clearPositions: db.prepare('DELETE FROM topology_positions'),
    };
  }

  manualLinks(): ManualLink[] {
    return this.stmts.links.all().map((r) => ({ id: r.id, aDeviceId: r.a_device_id, aPort: r.a_port, bDeviceId: r.b_device_id, bPort: r.b_port }));
  }

  addManualLink(l: Omit<ManualLink, 'id'>, now = Date.now()): number {
    const t = this.text;
    return this.stmts.addLink.get(l.aDeviceId, t(l.aPort), l.bDeviceId, t(l.bPort), now)!.id;
  }

  manualLink(id: number): ManualLink | undefined {
    return this.manualLinks().find((l) => l.id === id);
  }

  deleteManualLink(id: number): boolean {
    return this.stmts.deleteLink.run(id).changes > 0;
  }

  positions(): Map<string, { x: number; y: number }> {
    return new Map(this.stmts.positions.all().map((r) => [r.node_id, { x: r.x, y: r.y }]));
  }

  savePositions(positions: { nodeId: string; x: number; y: number }[], now = Date.now()): void {
    this.db.transaction(() => {
      for (const p of positions) this.stmts.savePosition.run(this.nodeKey(p.nodeId), p.x, p.y, now);
    }).immediate();
  }

  clearPositions(): void {
    this.stmts.clearPositions.run();
  }
}
