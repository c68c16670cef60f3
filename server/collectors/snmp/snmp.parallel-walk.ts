import * as snmp from 'net-snmp';
import type { Varbind } from 'net-snmp';
import type { DeviceSession } from './snmp.session.js';
import { SnmpError } from './snmp.errors.js';
import { inSubtree, oidCompare } from './snmp.values.js';

/**
 * Full walk of a big subtree with several GETBULK streams in flight, so the
 * agent always has the next request queued instead of waiting a round trip
 * for us (large gains on slow links, modest on loopback).
 *
 * The tree is unknown in advance, so streams steal work: when fewer than
 * `streams` are running, a running segment positioned at OID p.k.x... is cut
 * at the next arc p.(k+1): it stops before it, a new segment starts there.
 * The new segment starts from p.k.4294967295 (x8), just below p.(k+1), so
 * an instance that is exactly p.(k+1) is not lost. Segments stay ordered,
 * so concatenating them gives the walk in OID order.
 * SNMPv1, agents with broken GETBULK and agents that answer a synthetic
 * start OID wrongly fall back to the ordinary walk.
 */
interface Segment {
  /** Last OID received (or the start), next request goes from here. */
  cur: string;
  /** True once `cur` is an OID the agent returned: only then can it be cut. */
  real: boolean;
  stop: string | null;
  out: Varbind[];
  done: boolean;
}

const MAX_SUBID = '4294967295';

export async function walkParallel(s: DeviceSession, root: string, streams = 4): Promise<Varbind[]> {
  if (!s.usesBulk || streams <= 1) return s.walk(root);
  const rootLen = root.split('.').length;
  const segs: Segment[] = [{ cur: root, real: false, stop: null, out: [], done: false }];
  const running = new Map<Segment, Promise<void>>();
  let failure: unknown = null;
  let wake: () => void = () => {};
  let woke = new Promise<void>((r) => (wake = r));

  const inRange = (seg: Segment, oid: string) => inSubtree(root, oid) && (seg.stop === null || oidCompare(oid, seg.stop) < 0);

  const run = async (seg: Segment) => {
    while (!seg.done && failure === null) {
      const vbs = await s.bulkOnce(seg.cur);
      if (vbs.length === 0) throw new SnmpError('other', 'agent returned an empty GETBULK response');
      for (const vb of vbs) {
        if (vb.type === snmp.ObjectType.EndOfMibView || snmp.isVarbindError(vb) || !inRange(seg, vb.oid)) {
          seg.done = true;
          break;
        }
        if (oidCompare(vb.oid, seg.cur) <= 0) throw new SnmpError('other', `agent returned non-increasing OID ${vb.oid} after ${seg.cur}`);
        seg.out.push(vb);
        seg.cur = vb.oid;
        seg.real = true;
      }
      wake();
    }
  };
  const launch = (seg: Segment) => {
    running.set(
      seg,
      run(seg)
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => {
          running.delete(seg);
          wake();
        }),
    );
  };

  /** The coarsest cut ahead of a segment's position and before its stop. */
  const cut = (seg: Segment): { stop: string; start: string } | null => {
    if (!seg.real) return null;
    const parts = seg.cur.split('.');
    for (let d = rootLen; d < parts.length - 1; d++) {
      if (Number(parts[d]) >= Number(MAX_SUBID)) continue;
      const stop = [...parts.slice(0, d), String(Number(parts[d]) + 1)].join('.');
      if (seg.stop !== null && oidCompare(stop, seg.stop) >= 0) continue;
      return { stop, start: [...parts.slice(0, d + 1), ...Array<string>(8).fill(MAX_SUBID)].join('.') };
    }
    return null;
  };

  launch(segs[0]!);
  while (running.size > 0) {
    while (failure === null && running.size < streams) {
      let made = false;
      for (let i = 0; i < segs.length && !made; i++) {
        const v = segs[i]!;
        if (v.done || !running.has(v)) continue;
        const c = cut(v);
        if (!c) continue;
        const seg: Segment = { cur: c.start, real: false, stop: v.stop, out: [], done: false };
        v.stop = c.stop;
        segs.splice(i + 1, 0, seg);
        launch(seg);
        made = true;
      }
      if (!made) break;
    }
    await woke;
    woke = new Promise<void>((r) => (wake = r));
  }
  if (failure !== null) {
    // Some agents mishandle a start OID that is not in their tree (net-snmp's
    // own agent restarts from 1.3.6.1): fall back to one sequential walk.
    if (failure instanceof SnmpError && failure.kind === 'other') return s.walk(root);
    throw failure;
  }
  return segs.flatMap((x) => x.out);
}
