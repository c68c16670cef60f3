import type { IcmpResult } from '../../contracts/poll.js';

/**
 * Parses `fping -C N -q` output (written to stderr), one line per host:
 *   `127.0.0.1   : 0.03 0.04 -`   ('-' = no reply)
 * Lines that are not per-host results (resolution errors, ICMP notices) are
 * returned in `other` for logging.
 */
export function parseFpingOutput(text: string): { rtts: Map<string, (number | null)[]>; other: string[] } {
  const rtts = new Map<string, (number | null)[]>();
  const other: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s+:\s+((?:(?:[\d.]+|-)\s*)+)$/.exec(line);
    if (!m) {
      other.push(line);
      continue;
    }
    const values = m[2]!.trim().split(/\s+/).map((v) => (v === '-' ? null : Number(v)));
    if (values.some((v) => v !== null && !Number.isFinite(v))) {
      other.push(line);
      continue;
    }
    rtts.set(m[1]!, values);
  }
  return { rtts, other };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** RTT min/avg/max, loss and jitter from one host's replies (null = lost). */
export function summariseRtts(address: string, replies: (number | null)[], sent = replies.length): IcmpResult {
  // Exactly one entry per probe sent (a probe with no entry was lost).
  const rtts = replies.slice(0, sent);
  while (rtts.length < sent) rtts.push(null);
  const got = rtts.filter((v): v is number => v !== null);
  const received = got.length;
  const lossPct = sent > 0 ? round(((sent - received) / sent) * 100) : 100;
  if (received === 0) return { address, sent, received, lossPct, rttMinMs: null, rttAvgMs: null, rttMaxMs: null, jitterMs: null, rtts };
  let jitter: number | null = null;
  if (received >= 2) {
    let sum = 0;
    for (let i = 1; i < got.length; i++) sum += Math.abs(got[i]! - got[i - 1]!);
    jitter = round(sum / (got.length - 1));
  }
  return {
    address,
    sent,
    received,
    lossPct,
    rttMinMs: round(Math.min(...got)),
    rttAvgMs: round(got.reduce((a, b) => a + b, 0) / received),
    rttMaxMs: round(Math.max(...got)),
    jitterMs: jitter,
    rtts,
  };
}

/** A host that could not be pinged at all. */
export const failedResult = (address: string, sent: number, error: string): IcmpResult => ({
  address,
  sent,
  received: 0,
  lossPct: 100,
  rttMinMs: null,
  rttAvgMs: null,
  rttMaxMs: null,
  jitterMs: null,
  rtts: [],
  error,
});
