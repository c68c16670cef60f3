import type { DeviceDto } from '../contracts/dto.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log/logger.js';
import type { ChangeKind, ChangeNotices } from './change-notices.js';

/**
 * Payloads this node put on its own bus for a change made on another node. Realtime does not push
 * them to browsers again: the node that made the change did, and the socket.io adapter carried it to
 * the browsers of every node.
 */
export const fromOtherNode = new WeakSet<object>();

export interface BridgeDeps {
  /** The device as stored now (undefined: gone). */
  device(id: number): DeviceDto | undefined;
  /** Every device id (a resync tells each device's subscribers to read it again). */
  deviceIds(): number[];
  /** Drops this node's cached device list (DeviceRepository's generation). */
  invalidateDevices(): void;
  log?: Logger;
}

/**
 * Carries this node's changes to the other nodes and theirs onto this node's bus:
 * - `device.created/updated/deleted` → notice `device` (id, op) → there: the device list cache is
 *   dropped and the same topic is published with the device as stored, so the resolver, the engine's
 *   directory, the poller and the rest reload it as they do for a local change;
 * - `auth.revoked` → `authRevoked` (user id) → there: that user's sockets are re-checked;
 * - `trapUsers.changed` → `trapUsers` → there: the trap receiver reads its users again.
 * Other caches (rules, maintenance, escalation) register a reload with `onNotice`.
 */
export class ClusterBridge {
  private readonly reloads = new Map<ChangeKind, (() => void)[]>();
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly bus: EventBus,
    private readonly notices: ChangeNotices,
    private readonly deps: BridgeDeps,
  ) {
    const local = (p: object) => !fromOtherNode.has(p);
    this.offs.push(
      bus.subscribe('device.created', (d) => local(d) && notices.publish({ kind: 'device', id: d.id, op: 'created' })),
      bus.subscribe('device.updated', (d) => local(d) && notices.publish({ kind: 'device', id: d.id, op: 'updated' })),
      bus.subscribe('device.deleted', (d) => local(d) && notices.publish({ kind: 'device', id: d.id, op: 'deleted' })),
      bus.subscribe('auth.revoked', (u) => local(u) && notices.publish({ kind: 'authRevoked', id: u.userId })),
      bus.subscribe('trapUsers.changed', (p) => local(p) && notices.publish({ kind: 'trapUsers' })),
      notices.subscribe((n) => {
        if (n.kind === 'resync') return this.resync();
        if (n.kind === 'device') return this.device(n.id!, n.op!);
        if (n.kind === 'authRevoked') return this.bus.publish('auth.revoked', mark({ userId: n.id! }));
        if (n.kind === 'trapUsers') this.bus.publish('trapUsers.changed', mark({}));
        for (const fn of this.reloads.get(n.kind) ?? []) fn();
      }),
    );
  }

  /** Runs `reload` when another node says `kind` changed (and on a resync). */
  onNotice(kind: ChangeKind, reload: () => void): void {
    const l = this.reloads.get(kind);
    if (l) l.push(reload);
    else this.reloads.set(kind, [reload]);
  }

  /** Tells the other nodes that `kind` changed here. */
  announce(kind: ChangeKind): void {
    this.notices.publish({ kind });
  }

  close(): void {
    this.offs.splice(0).forEach((off) => off());
  }

  private device(id: number, op: 'created' | 'updated' | 'deleted'): void {
    this.deps.invalidateDevices();
    const d = op === 'deleted' ? undefined : this.deps.device(id);
    if (!d) this.bus.publish('device.deleted', mark({ id }));
    else this.bus.publish(op === 'created' ? 'device.created' : 'device.updated', mark(d));
  }

  /** The listen session was gone for a while: read everything again. */
  private resync(): void {
    this.deps.log?.info('change notices resumed: reading cached configuration again');
    this.deps.invalidateDevices();
    for (const id of this.deps.deviceIds()) {
      const d = this.deps.device(id);
      if (d) this.bus.publish('device.updated', mark(d));
    }
    this.bus.publish('trapUsers.changed', mark({}));
    for (const l of this.reloads.values()) for (const fn of l) fn();
  }
}

function mark<T extends object>(p: T): T {
  fromOtherNode.add(p);
  return p;
}
