import * as snmp from 'net-snmp';
import type { Session, Varbind } from 'net-snmp';
import type { SnmpSettings } from './snmp.client.js';
import { SnmpError, classifySnmpError } from './snmp.errors.js';
import { inSubtree, oidCompare } from './snmp.values.js';

/** A walk that never ends (an agent inventing ever larger OIDs) stops here. */
const MAX_WALK_VARBINDS = 2_000_000;

type Cb<T> = (err: Error | null, v?: T) => void;
const call = <T>(fn: (cb: Cb<T>) => void) =>
  new Promise<T>((resolve, reject) => {
    try {
      fn((err, v) => (err ? reject(err) : resolve(v as T)));
    } catch (e) {
      reject(e);
    }
  });

/** Requests against one device, with tooBig shrinking and GETNEXT fallback. */
export class DeviceSession {
  /** Requests sent through this session (not counting net-snmp's own retries). */
  requests = 0;
  /** Set once GETBULK misbehaved on this agent: walks use GETNEXT from then on. */
  bulkBroken = false;
  /** Set when the agent treats max-repetitions as the total number of varbinds. */
  repsIsTotal = false;
  private closed = false;

  constructor(
    private readonly raw: Session,
    readonly settings: SnmpSettings,
    /** Current GETBULK max-repetitions; shrinks on tooBig and stays shrunk. */
    public maxRepetitions: number,
    /** Varbinds asked per GETBULK across all columns; shrinks on tooBig too. */
    public bulkBudget: number,
  ) {
    // net-snmp emits parse errors of stray datagrams; they must not crash us.
    raw.on('error', () => {});
  }

  /**
   * Sends one request. SNMPv3 special case: Debian snmpd silently drops a
   * request it cannot decrypt (wrong privacy key/protocol) instead of sending
   * a usmStatsDecryptionErrors report, so that looks like a timeout. When the
   * agent answered engine discovery during this very request but not the
   * request itself, we call it an authFailure. After any v3 timeout the
   * engine state is forgotten so the next request rediscovers it.
   */
  private async request<T>(fn: (cb: Cb<T>) => void): Promise<T> {
    this.requests++;
    const raw = this.raw as unknown as { msgSecurityParameters?: object };
    const before = raw.msgSecurityParameters;
    try {
      return await call<T>(fn);
    } catch (e) {
      const err = classifySnmpError(e);
      if (err.kind === 'timeout' && this.settings.version === '3') {
        const discovered = raw.msgSecurityParameters !== undefined && raw.msgSecurityParameters !== before;
        raw.msgSecurityParameters = undefined;
        if (discovered) {
          throw new SnmpError('authFailure', 'SNMPv3 agent answers engine discovery but not our requests: wrong privacy key or protocol?', e);
        }
      }
      throw err;
    }
  }

  get usesBulk(): boolean {
    return this.settings.version !== '1' && !this.bulkBroken;
  }

  /** GET; missing objects come back as noSuchObject/noSuchInstance varbinds (v1 noSuchName is mapped likewise). */
  async get(oids: string[]): Promise<Varbind[]> {
    if (oids.length === 0) return [];
    try {
      return await this.request<Varbind[]>((cb) => this.raw.get(oids, cb));
    } catch (e) {
      const err = classifySnmpError(e);
      if ((err.kind === 'tooBig' || err.kind === 'noSuchName') && oids.length > 1) {
        const mid = Math.ceil(oids.length / 2);
        return [...(await this.get(oids.slice(0, mid))), ...(await this.get(oids.slice(mid)))];
      }
      if (err.kind === 'noSuchName') return [{ oid: oids[0]!, type: snmp.ObjectType.NoSuchObject, value: null }];
      throw err;
    }
  }

  /** GETNEXT of several OIDs in one request (v1 noSuchName, past the end of the MIB, comes back as endOfMibView). */
  async getNext(oids: string[]): Promise<Varbind[]> {
    if (oids.length === 0) return [];
    try {
      return await this.request<Varbind[]>((cb) => this.raw.getNext(oids, cb));
    } catch (e) {
      const err = classifySnmpError(e);
      if (err.kind === 'noSuchName' && oids.length > 1) return (await Promise.all(oids.map((o) => this.getNext([o])))).flat();
      if (err.kind === 'noSuchName') return [{ oid: oids[0]!, type: snmp.ObjectType.EndOfMibView, value: null }];
      throw err;
    }
  }

  /**
   * One GETBULK for a single OID with this session's max-repetitions (halved
   * on tooBig). The varbinds come back as the agent sent them.
   */
  async bulkOnce(oid: string): Promise<Varbind[]> {
    for (;;) {
      const reps = this.maxRepetitions;
      try {
        const res = await this.request<(Varbind | Varbind[])[]>((cb) => this.raw.getBulk([oid], 0, reps, cb));
        const first = res[0];
        return Array.isArray(first) ? first : first ? [first] : [];
      } catch (e) {
        const err = classifySnmpError(e);
        if (err.kind === 'tooBig' && reps > 1) {
          this.maxRepetitions = Math.max(1, Math.floor(reps / 2));
          continue;
        }
        throw err;
      }
    }
  }

  /** Walks one subtree. */
  async walk(root: string): Promise<Varbind[]> {
    return (await this.walkColumns([root])).get(root) ?? [];
  }

  /**
   * Walks several subtrees (typically table columns) side by side: one
   * GETBULK carries every unfinished column, so a table of C columns and R
   * rows costs about C*R/budget requests instead of C separate walks.
   */
  async walkColumns(roots: string[]): Promise<Map<string, Varbind[]>> {
    const out = new Map<string, Varbind[]>(roots.map((r) => [r, []]));
    if (this.usesBulk) {
      try {
        await this.bulkWalk(roots, out);
        return out;
      } catch (e) {
        const err = classifySnmpError(e);
        if (err.kind === 'timeout' || err.kind === 'authFailure') throw err;
        // genErr, malformed or looping answers: this agent gets GETNEXT from now on.
        this.bulkBroken = true;
        for (const r of roots) out.set(r, []);
      }
    }
    await this.nextWalkColumns(roots, out);
    return out;
  }

  /**
   * GETNEXT walk of several columns, one varbind per column in each request.
   * SNMPv1 answers noSuchName for the whole PDU when any column is past the
   * end of the MIB: then the remaining columns are walked one by one.
   */
  private async nextWalkColumns(roots: string[], out: Map<string, Varbind[]>): Promise<void> {
    const last = new Map<string, string>(roots.map((r) => [r, r]));
    let active = [...roots];
    while (active.length > 1) {
      let res: Varbind[];
      try {
        res = await this.request<Varbind[]>((cb) => this.raw.getNext(active.map((r) => last.get(r)!), cb));
      } catch (e) {
        const err = classifySnmpError(e);
        if (err.kind !== 'noSuchName' && err.kind !== 'tooBig') throw err;
        break;
      }
      const done = new Set<string>();
      active.forEach((root, i) => {
        const vb = res[i];
        if (!vb || vb.type === snmp.ObjectType.EndOfMibView || snmp.isVarbindError(vb) || !inSubtree(root, vb.oid)) done.add(root);
        else if (oidCompare(vb.oid, last.get(root)!) <= 0) throw new SnmpError('other', `agent returned non-increasing OID ${vb.oid}`);
        else {
          out.get(root)!.push(vb);
          last.set(root, vb.oid);
        }
      });
      active = active.filter((r) => !done.has(r));
    }
    for (const r of active) out.get(r)!.push(...(await this.nextWalk(r, last.get(r)!)));
  }

  /** `last` holds where each column stands (its root at the start); shared when the walk is split. */
  private async bulkWalk(roots: string[], out: Map<string, Varbind[]>, last = new Map<string, string>(roots.map((r) => [r, r]))): Promise<void> {
    let active = [...roots];
    let answered = false;
    let shrunkOnTimeout = false;
    while (active.length > 0) {
      const reps = this.repsIsTotal
        ? Math.max(1, Math.min(this.bulkBudget, this.maxRepetitions * active.length))
        : Math.max(1, Math.min(this.maxRepetitions, Math.floor(this.bulkBudget / active.length)));
      const asked = active.map((r) => last.get(r)!);
      let res: (Varbind | Varbind[])[];
      try {
        res = await this.request<(Varbind | Varbind[])[]>((cb) => this.raw.getBulk(asked, 0, reps, cb));
        answered = true;
      } catch (e) {
        const err = classifySnmpError(e);
        if (err.kind === 'tooBig') {
          // Next request asks for at most half as much; stays that way for this device.
          if (reps > 1) {
            if (this.repsIsTotal) this.bulkBudget = Math.max(1, Math.floor(reps / 2));
            else this.maxRepetitions = Math.max(1, Math.floor(reps / 2));
            continue;
          }
          if (active.length > 1 && !this.repsIsTotal) {
            // One repetition of every column is still too big: split the columns.
            const mid = Math.ceil(active.length / 2);
            for (const part of [active.slice(0, mid), active.slice(mid)]) await this.bulkWalk(part, out, last);
            return;
          }
          throw err;
        }
        // A big answer lost on the way (fragments dropped) looks like a timeout:
        // when the agent did answer before, retry once with far fewer repetitions.
        if (err.kind === 'timeout' && answered && !shrunkOnTimeout && reps > 5) {
          shrunkOnTimeout = true;
          this.maxRepetitions = Math.max(5, Math.floor(reps / 4));
          continue;
        }
        throw err;
      }
      const done = new Set<string>();
      let got = 0;
      for (let i = 0; i < active.length; i++) {
        const root = active[i]!;
        const vbs = res[i];
        const list = Array.isArray(vbs) ? vbs : vbs ? [vbs] : [];
        // An agent may truncate the answer (RFC 3416 4.2.3): a column with no
        // varbinds this time is asked again, not finished.
        got += list.length;
        for (const vb of list) {
          if (vb.type === snmp.ObjectType.EndOfMibView || !inSubtree(root, vb.oid)) {
            done.add(root);
            break;
          }
          if (snmp.isVarbindError(vb)) {
            done.add(root);
            break;
          }
          if (oidCompare(vb.oid, last.get(root)!) <= 0) throw new SnmpError('other', `agent returned non-increasing OID ${vb.oid} after ${last.get(root)}`);
          if (out.get(root)!.length >= MAX_WALK_VARBINDS) throw new SnmpError('other', `walk of ${root} exceeded ${MAX_WALK_VARBINDS} varbinds`);
          out.get(root)!.push(vb);
          last.set(root, vb.oid);
        }
      }
      if (got === 0) throw new SnmpError('other', 'agent returned an empty GETBULK response');
      // Some agents (net-snmp's own) read max-repetitions as a cap on the whole
      // answer, not per column: then ask for the whole budget at once.
      if (!this.repsIsTotal && active.length > 1 && got === reps && got < active.length * reps) this.repsIsTotal = true;
      active = active.filter((r) => !done.has(r));
    }
  }

  /** GETNEXT walk of one subtree (v1, or agents whose GETBULK misbehaves). */
  async nextWalk(root: string, from = root): Promise<Varbind[]> {
    const out: Varbind[] = [];
    let cur = from;
    for (;;) {
      let res: Varbind[];
      try {
        res = await this.request<Varbind[]>((cb) => this.raw.getNext([cur], cb));
      } catch (e) {
        const err = classifySnmpError(e);
        if (err.kind === 'noSuchName') return out; // v1 end of MIB view
        throw err;
      }
      const vb = res[0];
      if (!vb || vb.type === snmp.ObjectType.EndOfMibView || snmp.isVarbindError(vb) || !inSubtree(root, vb.oid)) return out;
      if (oidCompare(vb.oid, cur) <= 0) throw new SnmpError('other', `agent returned non-increasing OID ${vb.oid} after ${cur}`);
      if (out.length >= MAX_WALK_VARBINDS) throw new SnmpError('other', `walk of ${root} exceeded ${MAX_WALK_VARBINDS} varbinds`);
      out.push(vb);
      cur = vb.oid;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.raw.close();
    } catch {
      /* already closed */
    }
  }
}
