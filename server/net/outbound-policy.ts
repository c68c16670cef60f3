/**
 * The one outbound policy: every connection Netwatch opens on its own
 * initiative (webhook, Slack and SMTP notifications; SNMP/ICMP to devices;
 * discovery sweeps) asks it first, on the address it is about to connect to.
 *
 * Rules are CIDRs with an action. The most specific rule that contains the
 * address decides (longest prefix, as in a routing table); at equal length an
 * administrator's rule beats a built-in default, and deny beats allow. An
 * address no rule contains is allowed. So `outboundDeny=10.0.0.0/8` with
 * `outboundAllow=10.1.2.0/24` reaches 10.1.2.x only, and
 * `outboundDeny=0.0.0.0/0,::/0` turns the allow list into an allow-only list.
 *
 * Hostnames are checked after resolution, at connect time (the `lookup` given
 * to net/http/tls): a name that resolves to a denied address is refused even
 * if it resolved elsewhere a moment before (DNS rebinding). IPv4-mapped and
 * NAT64 IPv6 forms are checked as the IPv4 address they carry.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../api/errors.js';

/** Who is connecting: notifications (webhook, Slack, SMTP) or devices (poll, browse, discovery). */
export type OutboundScope = 'notify' | 'device';

export type RuleSource = 'outboundAllow' | 'outboundDeny' | 'default';

export interface OutboundRule {
  cidr: string;
  action: 'allow' | 'deny';
  source: RuleSource;
  /** Why a built-in default exists. */
  reason?: string;
}

export interface Verdict {
  allowed: boolean;
  /** The address as checked (IPv4 for mapped forms). */
  address: string;
  /** The rule that decided, or null when none applies (allowed). */
  rule: OutboundRule | null;
}

/**
 * Built-in denials. Loopback and private ranges stay allowed for both scopes:
 * devices live on private ranges (and on loopback in labs and tests), and a
 * notification relay on localhost or an internal webhook receiver is common.
 * What is never a device nor a receiver is denied: addresses that reach the
 * local host by accident, link-local (where cloud metadata services live),
 * the metadata addresses themselves, multicast and broadcast.
 */
const BUILTIN_DENY: [string, string][] = [
  ['0.0.0.0/8', '"this network": connecting to 0.0.0.0 reaches the local host'],
  ['169.254.0.0/16', 'IPv4 link-local, home of the cloud metadata service 169.254.169.254'],
  ['100.100.100.200/32', 'Alibaba Cloud metadata service'],
  ['192.0.0.192/32', 'Oracle Cloud metadata service'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['::/128', 'unspecified address: reaches the local host'],
  ['fe80::/10', 'IPv6 link-local'],
  ['fd00:ec2::254/128', 'AWS metadata service (IPv6)'],
  ['ff00::/8', 'IPv6 multicast'],
];

export const DEFAULT_DENY: Record<OutboundScope, readonly OutboundRule[]> = {
  notify: BUILTIN_DENY.map(([cidr, reason]) => ({ cidr, action: 'deny', source: 'default', reason })),
  device: BUILTIN_DENY.map(([cidr, reason]) => ({ cidr, action: 'deny', source: 'default', reason })),
};

/** Refusal by the outbound policy: 403 through the API's error middleware. */
export class OutboundDeniedError extends AppError {
  constructor(
    message: string,
    readonly verdict: Verdict,
  ) {
    super(403, 'outbound_denied', message);
  }
}

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

interface CompiledRule extends OutboundRule {
  range: [Parsed, number];
  /** Admin rules beat defaults at equal prefix length. */
  rank: number;
}

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/** An IP address in canonical form: zone id dropped, IPv4-mapped/NAT64 forms as IPv4. */
function parseAddress(address: string): Parsed | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare) || isIP(bare) === 0) return null;
  const ip = ipaddr.process(bare);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).match(NAT64)) {
    const b = (ip as ipaddr.IPv6).toByteArray().slice(12);
    return new ipaddr.IPv4(b);
  }
  return ip;
}

/** Parses one CIDR (or a bare address, taken as /32 or /128); throws with the offending text. */
export function parseCidr(text: string): [Parsed, number] {
  const t = text.trim();
  try {
    if (t.includes('/')) {
      const [ip, len] = ipaddr.parseCIDR(t);
      const canonical = ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() && len >= 96 ? [(ip as ipaddr.IPv6).toIPv4Address(), len - 96] : [ip, len];
      return canonical as [Parsed, number];
    }
    const ip = parseAddress(t);
    if (!ip) throw new Error('bad');
    return [ip, ip.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`"${t}" is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8, fd00::/8, 192.0.2.7)`);
  }
}

/** Splits a comma-separated CIDR list (the config value); throws naming the bad entry. */
export function parseCidrList(text: string): string[] {
  const out = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of out) parseCidr(c);
  return out;
}

export class OutboundPolicy {
  private readonly rules: Record<OutboundScope, CompiledRule[]>;

  constructor(opts: { allow?: readonly string[]; deny?: readonly string[]; defaults?: Record<OutboundScope, readonly OutboundRule[]> } = {}) {
    const admin: OutboundRule[] = [
      ...(opts.deny ?? []).map((cidr): OutboundRule => ({ cidr, action: 'deny', source: 'outboundDeny' })),
      ...(opts.allow ?? []).map((cidr): OutboundRule => ({ cidr, action: 'allow', source: 'outboundAllow' })),
    ];
    const compile = (r: OutboundRule): CompiledRule => ({ ...r, range: parseCidr(r.cidr), rank: r.source === 'default' ? 0 : 1 });
    const defaults = opts.defaults ?? DEFAULT_DENY;
    this.rules = {
      notify: [...defaults.notify, ...admin].map(compile),
      device: [...defaults.device, ...admin].map(compile),
    };
  }

  /** From the config keys `outboundAllow` / `outboundDeny` (comma-separated CIDRs). */
  static fromConfig(c: { outboundAllow: string; outboundDeny: string }): OutboundPolicy {
    return new OutboundPolicy({ allow: parseCidrList(c.outboundAllow), deny: parseCidrList(c.outboundDeny) });
  }

  /** The rules in force for a scope (for the README and diagnostics). */
  list(scope: OutboundScope): OutboundRule[] {
    return this.rules[scope].map(({ cidr, action, source, reason }) => ({ cidr, action, source, ...(reason ? { reason } : {}) }));
  }

  /** Decides for one IP address. Anything that is not an IP address is denied. */
  check(scope: OutboundScope, address: string): Verdict {
    const ip = parseAddress(address);
    if (!ip) return { allowed: false, address, rule: null };
    let best: CompiledRule | null = null;
    for (const r of this.rules[scope]) {
      if (r.range[0].kind() !== ip.kind() || !ip.match(r.range)) continue;
      if (!best || better(r, best)) best = r;
    }
    const rule = best ? { cidr: best.cidr, action: best.action, source: best.source, ...(best.reason ? { reason: best.reason } : {}) } : null;
    return { allowed: !best || best.action === 'allow', address: ip.toString(), rule };
  }

  /** Throws OutboundDeniedError when `address` (an IP literal) is denied; `what` names it in the message. */
  assertAllowed(scope: OutboundScope, address: string, what = address): void {
    const v = this.check(scope, address);
    if (!v.allowed) throw new OutboundDeniedError(deniedMessage(what, v), v);
  }

  /**
   * A `lookup` for net.connect / http.request / tls.connect: resolves, drops
   * denied addresses, and fails with OutboundDeniedError when none is left.
   * IP literals never reach a lookup: check them with `assertAllowed` first.
   */
  lookup(scope: OutboundScope, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
    return (hostname, options, callback) => {
      const all = typeof options === 'object' && options !== null && options.all === true;
      const family = typeof options === 'number' ? options : (options?.family ?? 0);
      resolve(hostname, { family: family as 0 | 4 | 6, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        const verdicts = addresses.map((a) => ({ a, v: this.check(scope, a.address) }));
        const ok = verdicts.filter((x) => x.v.allowed).map((x) => x.a);
        if (ok.length === 0) {
          const first = verdicts[0];
          const e = first ? new OutboundDeniedError(deniedMessage(`${hostname} (${first.a.address})`, first.v), first.v) : new Error(`${hostname} did not resolve`);
          return callback(e as NodeJS.ErrnoException, '', 0);
        }
        if (all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
        else callback(null, ok[0]!.address, ok[0]!.family);
      });
    };
  }
}

function better(a: CompiledRule, b: CompiledRule): boolean {
  if (a.range[1] !== b.range[1]) return a.range[1] > b.range[1];
  if (a.rank !== b.rank) return a.rank > b.rank;
  return a.action === 'deny' && b.action === 'allow';
}

export function deniedMessage(what: string, v: Verdict): string {
  if (!v.rule) return `outbound policy: ${what} is not an IP address`;
  const by = v.rule.source === 'default' ? `built-in deny ${v.rule.cidr}${v.rule.reason ? ` (${v.rule.reason})` : ''}` : `${v.rule.source} ${v.rule.cidr}`;
  return `outbound policy: ${what} is denied by ${by}; an administrator can allow it with outboundAllow`;
}
