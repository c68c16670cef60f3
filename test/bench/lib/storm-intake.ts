/**
 * The storm bench's load: paced sender processes (lib/paced-udp-sender.cjs)
 * replaying the syslog pool (95 %, two processes) and the trap pool (5 %) from
 * the senders' own loopback addresses, continuing in the pools where the last
 * run stopped.
 */
import { startPacedSender, type RunningSender } from './paced-udp-sender.js';

export interface PoolFile {
  file: string;
  size: number;
  sources: string[];
  port: number;
}

export const TRAP_SHARE = 0.05;
const SYSLOG_SENDERS = 2;
/** As the syslog bench: the load must not slow down because the server under test takes the CPU. */
const SENDER_PRIORITY = -10;

export interface IntakeRun {
  /** Resolves with what was sent (all senders), when they finish or once stopped. */
  done: Promise<{ sent: number; syslog: number; traps: number; elapsedMs: number }>;
  stop(): void;
}

export class StormIntake {
  /** Next packet of each pool (the pools are replayed round-robin across runs). */
  private next = { syslog: 0, trap: 0 };
  sent = 0;

  constructor(
    private readonly syslog: PoolFile,
    private readonly traps: PoolFile,
  ) {}

  /**
   * Messages/s for `ms` (or until stopped), 5 % of them traps. The next run
   * continues in the pools after what this one would send in full.
   */
  run(rate: number, ms: number): IntakeRun {
    const running: { kind: 'syslog' | 'trap'; s: RunningSender }[] = [];
    const perSyslog = (rate * (1 - TRAP_SHARE)) / SYSLOG_SENDERS;
    for (let k = 0; k < SYSLOG_SENDERS; k++) {
      running.push({ kind: 'syslog', s: startPacedSender(this.syslog.file, this.syslog.port, perSyslog, ms, { priority: SENDER_PRIORITY, from: this.syslog.sources, offset: this.next.syslog }) });
      // What the sender sends when it runs to the end (the same formula as the sender).
      this.next.syslog += Math.round((perSyslog * ms) / 1000);
    }
    const trapRate = rate * TRAP_SHARE;
    running.push({ kind: 'trap', s: startPacedSender(this.traps.file, this.traps.port, trapRate, ms, { priority: SENDER_PRIORITY, from: this.traps.sources, offset: this.next.trap }) });
    this.next.trap += Math.round((trapRate * ms) / 1000);
    const done = Promise.all(running.map(async (r) => ({ kind: r.kind, res: await r.s.done }))).then((rs) => {
      const sum = (kind: string) => rs.filter((r) => r.kind === kind).reduce((a, r) => a + r.res.sent, 0);
      const out = { syslog: sum('syslog'), traps: sum('trap'), sent: 0, elapsedMs: Math.max(...rs.map((r) => r.res.elapsedMs)) };
      out.sent = out.syslog + out.traps;
      this.sent += out.sent;
      return out;
    });
    return { done, stop: () => running.forEach((r) => r.s.stop()) };
  }
}
