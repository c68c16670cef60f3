import { createHash } from 'node:crypto';
import type { IntakeOutcome } from '../../events/event-intake.js';
import type { TrapPdu } from './trap.convert.js';

/** Sends one datagram net-snmp built (the arguments it gave `send`): an INFORM's Response. */
export interface HeldSend {
  transmit(): void;
}

/** One INFORM we received, by its key (see `informKey`). */
export interface InformEntry {
  key: string;
  /** pending: its event is submitted, not committed yet; stored: committed and acknowledged. */
  state: 'pending' | 'stored';
  /** Responses that go out once its event is committed: the first reception's and those of retransmissions meanwhile. */
  held: HeldSend[];
  /** When it was first received (ms). */
  at: number;
}

export interface InformAcksOptions {
  /** How long a stored INFORM is remembered for answering retransmissions without a second event (default 5 min). */
  rememberMs?: number;
  /** INFORMs remembered at most (oldest forgotten first; default 20,000). */
  maxRemembered?: number;
}

/**
 * "Acknowledged means stored" for SNMP INFORMs. net-snmp builds the Response
 * (for v3 with our engine's and the user's security parameters) while it
 * decodes the INFORM; the trap receiver holds it here instead of sending it,
 * and it goes out only when the intake reports the INFORM's event committed.
 * Dropped (queue full) or failed: no Response, so the sender retransmits.
 *
 * Retransmissions (RFC 3416 4.2.7 leaves duplicate detection to the receiver):
 * a sender that got no Response in time sends the same INFORM again (same
 * request id, from the same address and port). We remember each INFORM for a
 * few minutes: a retransmission of one that is stored is answered at once with
 * no second event; of one still waiting for its commit, its Response is held
 * with the first; of one that failed, it is stored like a new one. Memory only:
 * an INFORM stored just before a crash and retransmitted after the restart
 * gives a second event (at least once, never lost).
 */
export class InformAcks {
  private readonly seen = new Map<string, InformEntry>();
  private readonly rememberMs: number;
  private readonly maxRemembered: number;
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  readonly counters = { informs_acknowledged: 0, informs_unacknowledged: 0, inform_duplicates: 0 };

  constructor(opts: InformAcksOptions = {}) {
    this.rememberMs = opts.rememberMs ?? 5 * 60_000;
    this.maxRemembered = opts.maxRemembered ?? 20_000;
  }

  /** The INFORM with this key when we have it already (the message is a retransmission). */
  lookup(key: string, now: number): InformEntry | undefined {
    const e = this.seen.get(key);
    if (e && e.state === 'stored' && now - e.at > this.rememberMs) {
      this.seen.delete(key);
      return undefined;
    }
    return e;
  }

  /** A new INFORM whose event is being submitted; its Response is added to `held` before `settle`. */
  begin(key: string, now: number): InformEntry {
    for (const [k, e] of this.seen) {
      if (this.seen.size < this.maxRemembered && now - e.at <= this.rememberMs) break;
      // Forgetting a pending one only loses duplicate detection: its Response is still held by its batch.
      this.seen.delete(k);
    }
    const entry: InformEntry = { key, state: 'pending', held: [], at: now };
    this.seen.set(key, entry);
    this.pending++;
    return entry;
  }

  /** A retransmission of `entry`: answered now when stored, else with the first once committed. */
  duplicate(entry: InformEntry, responses: HeldSend[]): void {
    this.counters.inform_duplicates++;
    if (entry.state === 'stored') for (const r of responses) r.transmit();
    else entry.held.push(...responses);
  }

  /** The intake settled the batch that holds these INFORMs' events. */
  settle(entries: InformEntry[], outcome: IntakeOutcome): void {
    for (const e of entries) {
      const held = e.held;
      e.held = [];
      if (outcome === 'committed') {
        e.state = 'stored';
        this.counters.informs_acknowledged++;
        for (const r of held) r.transmit();
      } else {
        // Not stored, not acknowledged: the sender retransmits, and the retransmission is a new INFORM.
        if (this.seen.get(e.key) === e) this.seen.delete(e.key);
        this.counters.informs_unacknowledged++;
      }
    }
    this.pending -= entries.length;
    if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** INFORMs whose event is not committed yet. */
  get waiting(): number {
    return this.pending;
  }

  /** Resolves true once no INFORM waits for its commit, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.push(done);
    });
  }
}

function valueText(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return typeof v === 'bigint' ? v.toString() : String(v);
}

/**
 * Identifies an INFORM across retransmissions: the sender (address, port),
 * its request id, community or user and context, and a digest of the varbinds
 * (sysUpTime.0 comes first, so an agent that restarted and reuses request ids
 * from the same port does not look like a retransmission).
 */
export function informKey(pdu: TrapPdu, from: { address: string; port: number }): string {
  const h = createHash('sha1');
  h.update(`${from.address}\0${from.port}\0${pdu.id ?? ''}\0${pdu.community ?? ''}\0${pdu.user ?? ''}\0${pdu.contextEngineID ?? ''}\0${valueText(pdu.contextName ?? '')}`);
  for (const vb of pdu.varbinds) h.update(`\0${vb.oid}\0${vb.type}\0${valueText(vb.value)}`);
  return h.digest('base64');
}
