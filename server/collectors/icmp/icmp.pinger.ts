import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import ping from 'ping';
import type { IcmpResult } from '../../contracts/poll.js';
import { failedResult, parseFpingOutput, summariseRtts } from './fping.parser.js';

/**
 * ICMP for many hosts per cycle. With `fping` installed, one process pings
 * the whole batch (`fping -C count -q -i interval -p period -t timeout`, the
 * targets on stdin, results parsed from stderr), like Zabbix does. Without
 * it, the `ping` package runs the system `ping` per host, a bounded number
 * at a time. The choice and its reason are logged once.
 */
export interface PingOptions {
  /** Echo requests per host per cycle (default 3; the poller passes `icmpProbes`). */
  count?: number;
  /** Time between requests to the same host, ms (default 200). */
  periodMs?: number;
  /** Wait for a reply, ms (default 1000). */
  timeoutMs?: number;
  /** fping: gap between any two requests, ms (default 1; less with several probes per host, see fpingInterval). */
  intervalMs?: number;
}

export interface PingerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PingerOptions {
  /** Force a backend (default: fping when present). */
  backend?: 'fping' | 'ping';
  fpingPath?: string;
  /** Command prefix, e.g. `['ip', 'netns', 'exec', 'ns1']` (tests, VRFs). fping only. */
  wrapper?: string[];
  /** ping backend: hosts pinged at once (default 64). */
  pingConcurrency?: number;
  log?: PingerLog;
}

const DEFAULT_FPING = '/usr/bin/fping';

export function fpingAvailable(path = DEFAULT_FPING): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** fping's least gap between two packets we ask for (ms): at most 20,000 packets a second. */
export const MIN_FPING_INTERVAL_MS = 0.05;

/**
 * The gap between any two packets of one fping run. fping spaces every packet of the run `-i`
 * apart, so N hosts × `count` probes need at least N × count × interval: with 20 probes and
 * 1 ms that is 20 s for 1,000 hosts, not the count × period (4 s) the per-host period allows.
 * With several probes per host the gap shrinks to `periodMs / N` (a round of all hosts within
 * one period), down to MIN_FPING_INTERVAL_MS; a single-probe sweep keeps `intervalMs`.
 * One process, not several side by side: every raw ICMP socket receives every echo reply on the
 * host, and a freshly started fping among busy ones was measured losing its first replies.
 */
export function fpingInterval(hosts: number, o: { count: number; periodMs: number; intervalMs: number }): number {
  const wanted = Math.max(MIN_FPING_INTERVAL_MS, o.intervalMs);
  if (o.count <= 1 || hosts <= 0) return Math.max(1, o.intervalMs);
  const fit = Math.max(1, o.periodMs) / hosts;
  return Math.round(Math.max(MIN_FPING_INTERVAL_MS, Math.min(wanted, fit)) * 1000) / 1000;
}

export class IcmpPinger {
  readonly backend: 'fping' | 'ping';
  readonly reason: string;
  private readonly fpingPath: string;
  readonly stats = { cycles: 0, hosts: 0, toolErrors: 0 };

  constructor(private readonly opts: PingerOptions = {}) {
    this.fpingPath = opts.fpingPath ?? DEFAULT_FPING;
    const has = fpingAvailable(this.fpingPath);
    if (opts.backend === 'ping') {
      this.backend = 'ping';
      this.reason = 'ping backend requested by configuration';
    } else if (has) {
      this.backend = 'fping';
      this.reason = `${this.fpingPath} is installed: one fping process per batch`;
    } else if (opts.backend === 'fping') {
      throw new Error(`fping requested but ${this.fpingPath} is not executable`);
    } else {
      this.backend = 'ping';
      this.reason = `${this.fpingPath} not found: falling back to the ping package (one ping process per host)`;
    }
    if (opts.wrapper?.length && this.backend !== 'fping') throw new Error('a command wrapper needs the fping backend');
    opts.log?.info({ backend: this.backend, reason: this.reason }, 'ICMP backend chosen');
  }

  /** Pings every address once per cycle; one result per distinct address, in input order. */
  async pingMany(addresses: string[], o: PingOptions = {}): Promise<IcmpResult[]> {
    const list = [...new Set(addresses.map((a) => a.trim()).filter(Boolean))];
    if (list.length === 0) return [];
    const opt = { count: Math.max(1, o.count ?? 3), periodMs: o.periodMs ?? 200, timeoutMs: o.timeoutMs ?? 1000, intervalMs: o.intervalMs ?? 1 };
    this.stats.cycles++;
    this.stats.hosts += list.length;
    return this.backend === 'fping' ? this.viaFping(list, opt) : this.viaPing(list, opt);
  }

  private viaFping(list: string[], o: Required<PingOptions>): Promise<IcmpResult[]> {
    const interval = fpingInterval(list.length, o);
    const args = ['-C', String(o.count), '-q', '-i', String(interval), '-p', String(Math.max(1, o.periodMs)), '-t', String(Math.max(1, o.timeoutMs))];
    const wrapper = this.opts.wrapper ?? [];
    const cmd = wrapper.length ? wrapper[0]! : this.fpingPath;
    const argv = wrapper.length ? [...wrapper.slice(1), this.fpingPath, ...args] : args;
    // Hard stop well after fping should have finished on its own.
    const budgetMs = o.count * Math.max(o.periodMs, o.timeoutMs) + list.length * interval * o.count + o.timeoutMs + 30_000;
    return new Promise((resolve) => {
      let err = '';
      let out = '';
      let settled = false;
      const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs);
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const finish = (failure: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const { rtts, other } = parseFpingOutput(err + '\n' + out);
        if (other.length) this.opts.log?.warn({ lines: other.slice(0, 20) }, 'fping reported problems');
        if (failure) {
          this.stats.toolErrors++;
          this.opts.log?.warn({ failure }, 'fping failed');
        }
        resolve(
          list.map((a) => {
            const r = rtts.get(a);
            if (r) return summariseRtts(a, r, o.count);
            const why = other.find((l) => l.startsWith(a)) ?? failure ?? 'no result from fping';
            return failedResult(a, o.count, why);
          }),
        );
      };
      child.on('error', (e) => finish(`cannot run fping: ${e.message}`));
      // fping exits 1 when some hosts are unreachable and 2 when some names do not resolve: both normal.
      child.on('close', (code, signal) => finish(signal ? `fping killed by ${signal}` : code !== null && code > 2 ? `fping exited with ${code}` : null));
      child.stdin.on('error', () => {});
      child.stdin.end(list.join('\n') + '\n');
    });
  }

  private async viaPing(list: string[], o: Required<PingOptions>): Promise<IcmpResult[]> {
    const results: IcmpResult[] = new Array(list.length);
    const limit = Math.max(1, this.opts.pingConcurrency ?? 64);
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        const addr = list[i]!;
        try {
          const v6 = addr.includes(':');
          const res = await ping.promise.probe(addr, {
            min_reply: o.count,
            timeout: Math.max(1, Math.ceil(o.timeoutMs / 1000)),
            deadline: Math.ceil((o.count * o.periodMs + o.timeoutMs) / 1000) + 1,
            v6,
            extra: ['-i', String(Math.max(0.2, o.periodMs / 1000))],
          });
          const times = (res as unknown as { times?: number[] }).times ?? [];
          const replies: (number | null)[] = [...times];
          while (replies.length < o.count) replies.push(null);
          results[i] = summariseRtts(addr, replies.slice(0, o.count), o.count);
        } catch (e) {
          this.stats.toolErrors++;
          results[i] = failedResult(addr, o.count, `ping failed: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));
    return results;
  }
}
