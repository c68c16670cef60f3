/**
 * The storm bench's traffic: 50 devices on loopback addresses (127.0.1.1–50)
 * and 5 unknown senders (127.0.2.1–5), each sending lines of its kind
 * (Cisco IOS/IOS-XE, Cisco ASA, Juniper Junos, Linux; RFC 3164 and RFC 5424,
 * shaped like test/fixtures/syslog/corpus.json), plus real SNMPv2c traps
 * encoded by net-snmp's own session code. Deterministic (seeded), so two runs
 * send the same mix.
 */
import * as snmp from 'net-snmp';

export type Kind = 'cisco' | 'asa' | 'juniper' | 'linux';

export interface Sender {
  address: string;
  /** Device name when registered; null for an unknown sender. */
  name: string | null;
  host: string;
  kind: Kind;
  /** Share of the traffic (a whole number: the sender appears this many times in the sender's source list). */
  weight: number;
}

/** A word found in no line (the no-match search). */
export const NO_MATCH_WORD = 'zqxnomatchstorm';
/** A word planted in one line of the syslog pool: sent once per pass over the pool (~100 times). */
export const PLANTED_WORD = 'stormneedle7q';
/** A type the mix has (Cisco LINEPROTO), and a prefix covering several ASA types. */
export const FILTER_TYPE = 'LINEPROTO-5-UPDOWN';
export const FILTER_TYPE_PREFIX = 'ASA-6*';

export function senders(): Sender[] {
  const out: Sender[] = [];
  const add = (n: number, kind: Kind, prefix: string, weight: number) => {
    for (let k = 1; k <= n; k++) {
      const host = `${prefix}${String(k).padStart(2, '0')}`;
      out.push({ address: `127.0.1.${out.length + 1}`, name: host, host, kind, weight });
    }
  };
  // Firewalls are the loudest senders in a storm. Shares: Cisco IOS 28 %, ASA 28 %, Junos 21 %,
  // Linux 21 %, unknown senders 3 %.
  add(20, 'cisco', 'core-sw', 2);
  add(5, 'asa', 'asa-fw', 8);
  add(10, 'juniper', 'mx-', 3);
  add(15, 'linux', 'web-', 2);
  for (let k = 1; k <= 5; k++) out.push({ address: `127.0.2.${k}`, name: null, host: `unknown-${k}`, kind: k <= 3 ? 'linux' : 'cisco', weight: 1 });
  return out;
}

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickWeighted<T>(r: () => number, items: readonly (readonly [number, T])[]): T {
  const total = items.reduce((a, [w]) => a + w, 0);
  let x = r() * total;
  for (const [w, v] of items) if ((x -= w) < 0) return v;
  return items.at(-1)![1];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
const bsd = (d: Date) => `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
const ms3 = (d: Date) => String(d.getUTCMilliseconds()).padStart(3, '0');

type Line = (s: Sender, d: Date, r: () => number, i: number) => string;
const n = (r: () => number, max: number) => Math.floor(r() * max);
const ip = (r: () => number, prefix: string) => `${prefix}.${n(r, 250) + 1}.${n(r, 250) + 1}`;

const cisco: (readonly [number, Line])[] = [
  [30, (s, d, r, i) => `<190>${i % 100000}: ${s.host}: ${bsd(d)}.${ms3(d)} UTC: %SEC-6-IPACCESSLOGP: list 101 denied tcp ${ip(r, '10.1')}(${n(r, 60000) + 1024}) -> 10.2.2.2(443), 1 packet`],
  [10, (_s, d, r, i) => `<189>${i % 100000}: ${bsd(d)}.${ms3(d)} UTC: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet1/0/${n(r, 48) + 1}, changed state to ${r() < 0.5 ? 'down' : 'up'}`],
  [2, (_s, d, r, i) => `<187>${i % 100000}: ${bsd(d)}.${ms3(d)} UTC: %LINK-3-UPDOWN: Interface GigabitEthernet1/0/${n(r, 48) + 1}, changed state to ${r() < 0.5 ? 'down' : 'up'}`],
  [3, (_s, d, r, i) => `<188>${i % 100000}: ${bsd(d)}.${ms3(d)} UTC: %SW_MATM-4-MACFLAP_NOTIF: Host 0011.22${p2(n(r, 99))}.${1000 + n(r, 8999)} in vlan ${n(r, 40) + 1} is flapping between port Gi1/0/1 and port Gi1/0/2`],
  [2, (s, d, r, i) => `<189>${i % 100000}: ${s.host}: ${bsd(d)}.${ms3(d)} UTC: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (${ip(r, '10.0')})`],
  [2, (_s, d, r, i) => `<189>${i % 100000}: ${bsd(d)}.${ms3(d)} UTC: %DUAL-5-NBRCHANGE: EIGRP-IPv4 100: Neighbor ${ip(r, '10.0')} (Vlan${n(r, 40) + 1}) is ${r() < 0.5 ? 'down: holding time expired' : 'up: new adjacency'}`],
  [2, (_s, d, r) => `<190>%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: ${ip(r, '10.1')}] [localport: 22] at ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC`],
  [0.3, (_s, d, r, i) => `<187>${i % 100000}: ${bsd(d)}.${ms3(d)} UTC: %SYS-3-CPUHOG: Task is running for (${2000 + n(r, 3000)})msecs, more than (2000)msecs (${n(r, 900)}/${n(r, 900)}),process = Exec.`],
];

const asa: (readonly [number, Line])[] = [
  [30, (s, d, r) => { const p = n(r, 60000) + 1024; const x = ip(r, '203.0'); return `<166>${bsd(d)} ${d.getUTCFullYear()} ${s.host} : %ASA-6-302013: Built outbound TCP connection ${n(r, 9e8)} for outside:${x}/443 (${x}/443) to inside:${ip(r, '10.0')}/${p} (198.51.100.2/${p})`; }],
  [25, (s, d, r) => `<166>${bsd(d)} ${d.getUTCFullYear()} ${s.host} : %ASA-6-302014: Teardown TCP connection ${n(r, 9e8)} for outside:${ip(r, '203.0')}/443 to inside:${ip(r, '10.0')}/${n(r, 60000) + 1024} duration 0:00:${p2(n(r, 60))} bytes ${n(r, 2e6)} TCP FINs`],
  [10, (s, d, r) => `<164>${bsd(d)} ${d.getUTCFullYear()} ${s.host} : %ASA-4-106023: Deny tcp src outside:${ip(r, '198.51')}/${n(r, 60000) + 1024} dst inside:10.0.0.5/22 by access-group "OUTSIDE" [0x0, 0x0]`],
  [10, (s, d, r) => `<166>${bsd(d)} ${d.getUTCFullYear()} ${s.host} : %ASA-6-305011: Built dynamic TCP translation from inside:${ip(r, '10.0')}/${n(r, 60000) + 1024} to outside:203.0.113.1/${n(r, 60000) + 1024}`],
];

const juniper: (readonly [number, Line])[] = [
  [30, (s, d, r) => { const src = ip(r, '10.0'); const dst = ip(r, '203.0'); const sp = n(r, 60000) + 1024;
    return `<14>1 ${d.toISOString()} ${s.host} RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.26 source-address="${src}" source-port="${sp}" destination-address="${dst}" destination-port="443" service-name="junos-https" nat-source-address="203.0.113.1" nat-source-port="${sp}"] session created ${src}/${sp}->${dst}/443 junos-https`; }],
  [3, (s, d, r) => { const ix = 500 + n(r, 100);
    return `<29>1 ${d.toISOString()} ${s.host} mib2d ${1000 + n(r, 9000)} SNMP_TRAP_LINK_DOWN [junos@2636.1.1.1.2.57 snmp-interface-index="${ix}" admin-status="up(1)" operational-status="down(2)" interface-name="ge-0/0/${ix % 48}"] ifIndex ${ix}, ifAdminStatus up(1), ifOperStatus down(2), ifName ge-0/0/${ix % 48}`; }],
  [2, (s, d, r) => { const ix = 500 + n(r, 100); return `<28>${bsd(d)} ${s.host} mib2d[1234]: SNMP_TRAP_LINK_DOWN: ifIndex ${ix}, ifAdminStatus up(1), ifOperStatus down(2), ifName ge-0/0/${ix % 48}`; }],
  [3, (s, d, r) => `<30>${bsd(d)} ${s.host} /kernel: KERN_ARP_ADDR_CHANGE: arp info overwritten for ${ip(r, '10.0')} from 00:11:22:33:44:${p2(n(r, 99))} to 00:11:22:33:44:${p2(n(r, 99))}`],
  [1, (s, d, r) => `<29>${bsd(d)} ${s.host} rpd[2211]: BGP_PREFIX_THRESH_EXCEEDED: ${ip(r, '192.0')} (External AS ${65000 + n(r, 500)}): Configured maximum prefix-limit threshold(160) exceeded`],
];

const linux: (readonly [number, Line])[] = [
  [20, (s, d, r) => `<30>1 ${d.toISOString()} ${s.host}.example.net nginx ${700 + n(r, 100)} ACCESS [meta@1 sequenceId="${n(r, 1e6)}"][origin ip="${ip(r, '10.0')}" software="nginx"] GET /api/v1/items/${n(r, 1e5)} ${r() < 0.9 ? 200 : 404}`],
  [5, (s, d, r) => `<86>${bsd(d)} ${s.host} sshd[${1000 + n(r, 30000)}]: Failed password for invalid user ${['admin', 'oracle', 'test', 'ubuntu'][n(r, 4)]} from ${ip(r, '198.51')} port ${n(r, 60000) + 1024} ssh2`],
  [3, (s, d, r) => `<38>${bsd(d)} ${s.host} sshd[${1000 + n(r, 30000)}]: Accepted publickey for deploy from ${ip(r, '10.0')} port ${n(r, 60000) + 1024} ssh2`],
  [5, (s, d, r) => `<78>${bsd(d)} ${s.host} CRON[${n(r, 30000)}]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)`],
  [5, (s, d, r) => `<30>${bsd(d)} ${s.host} systemd[1]: Started Session ${n(r, 9999)} of User root.`],
  [5, (s, d, r) => `<4>${bsd(d)} ${s.host} kernel: [${n(r, 99999)}.${n(r, 999)}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${ip(r, '198.51')} DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=${40 + n(r, 20)} ID=${n(r, 65535)} PROTO=TCP SPT=${n(r, 60000) + 1024} DPT=23 WINDOW=29200 RES=0x00 SYN URGP=0`],
  [3, (s, d, r) => `<22>${bsd(d)} ${s.host} postfix/smtpd[${n(r, 30000)}]: connect from unknown[${ip(r, '198.51')}]`],
];

const LINES: Record<Kind, (readonly [number, Line])[]> = { cisco, asa, juniper, linux };

export interface SyslogPool {
  packets: Buffer[];
  /** Source address of each packet: packet i comes from sources[i % sources.length] (the sender's --from rule). */
  sources: string[];
  /** The packet with PLANTED_WORD, and the critical one. */
  plantedAt: number;
  criticalAt: number;
}

/**
 * `size` syslog datagrams. A sender's share of the traffic is its weight: it
 * appears `weight` times in the source list, and packet i, sent from
 * sources[i % sources.length], carries a line of that sender's kind and host.
 * The packet in the middle carries PLANTED_WORD; the one at a third is
 * critical (ASA-2, syslog severity 2); no other line is.
 */
export function syslogPool(size: number, all: Sender[], seed = 1): SyslogPool {
  const r = rng(seed);
  const slots = all.flatMap((s) => Array.from({ length: s.weight }, () => s));
  const t0 = Date.now();
  const packets: Buffer[] = new Array(size);
  const plantedAt = Math.floor(size / 2);
  const criticalAt = Math.floor(size / 3);
  for (let i = 0; i < size; i++) {
    const sender = slots[i % slots.length]!;
    const d = new Date(t0 + i * 10);
    let text = pickWeighted(r, LINES[sender.kind])(sender, d, r, i);
    if (i === plantedAt) text = `<30>${bsd(d)} ${sender.host} healthcheck[${n(r, 999)}]: ${PLANTED_WORD} probe finished in ${n(r, 900)} ms`;
    if (i === criticalAt) text = `<162>${bsd(d)} ${d.getUTCFullYear()} ${sender.host} %ASA-2-106001: Inbound TCP connection denied from ${ip(r, '198.51')}/1234 to 10.0.0.1/80 flags SYN on interface outside`;
    packets[i] = Buffer.from(text);
  }
  return { packets, sources: slots.map((s) => s.address), plantedAt, criticalAt };
}

/** Trap OIDs of the mix, with their share. linkDown/linkUp/coldStart/authenticationFailure raise or clear alarms. */
const TRAPS: readonly (readonly [number, string])[] = [
  [25, '1.3.6.1.6.3.1.1.5.3'], // linkDown
  [25, '1.3.6.1.6.3.1.1.5.4'], // linkUp
  [20, '1.3.6.1.4.1.9.9.41.2.0.1'], // CISCO-SYSLOG-MIB clogMessageGenerated
  [10, '1.3.6.1.4.1.9.9.43.2.0.1'], // CISCO-CONFIG-MAN-MIB ciscoConfigManEvent
  [15, '1.3.6.1.2.1.15.7.2'], // BGP4-MIB bgpBackwardTransition
  [3, '1.3.6.1.6.3.1.1.5.5'], // authenticationFailure
  [2, '1.3.6.1.6.3.1.1.5.1'], // coldStart
];

type Vb = snmp.Varbind;
const I = snmp.ObjectType.Integer;
const S = snmp.ObjectType.OctetString;

function trapVarbinds(oid: string, r: () => number): Vb[] {
  const ix = n(r, 48) + 1;
  if (oid.startsWith('1.3.6.1.6.3.1.1.5.3') || oid.startsWith('1.3.6.1.6.3.1.1.5.4')) {
    const up = oid.endsWith('.4') ? 1 : 2;
    return [
      { oid: `1.3.6.1.2.1.2.2.1.1.${ix}`, type: I, value: ix },
      { oid: `1.3.6.1.2.1.2.2.1.2.${ix}`, type: S, value: `GigabitEthernet1/0/${ix}` },
      { oid: `1.3.6.1.2.1.2.2.1.7.${ix}`, type: I, value: 1 },
      { oid: `1.3.6.1.2.1.2.2.1.8.${ix}`, type: I, value: up },
    ];
  }
  if (oid === '1.3.6.1.4.1.9.9.41.2.0.1') {
    return [
      { oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.2.1', type: S, value: 'LINK' },
      { oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.3.1', type: I, value: 4 },
      { oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.4.1', type: S, value: 'UPDOWN' },
      { oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.5.1', type: S, value: `Interface GigabitEthernet1/0/${ix}, changed state to down` },
    ];
  }
  if (oid === '1.3.6.1.4.1.9.9.43.2.0.1') {
    return [
      { oid: '1.3.6.1.4.1.9.9.43.1.1.6.1.3.1', type: I, value: 1 },
      { oid: '1.3.6.1.4.1.9.9.43.1.1.6.1.4.1', type: I, value: 2 },
      { oid: '1.3.6.1.4.1.9.9.43.1.1.6.1.5.1', type: I, value: 3 },
    ];
  }
  if (oid === '1.3.6.1.2.1.15.7.2') {
    const peer = `192.0.2.${n(r, 250) + 1}`;
    return [
      { oid: `1.3.6.1.2.1.15.3.1.14.${peer}`, type: snmp.ObjectType.OctetString, value: Buffer.from([0x04, 0x00]) },
      { oid: `1.3.6.1.2.1.15.3.1.2.${peer}`, type: I, value: 1 },
    ];
  }
  return [];
}

/**
 * Real SNMPv2c traps (community public) encoded by net-snmp's session code
 * through a socket that only records the datagrams. Packet i is sent from
 * sources[i % sources.length], devices only (traps come from managed gear).
 */
export function trapPool(size: number, devices: Sender[], seed = 2): { packets: Buffer[]; sources: string[] } {
  const r = rng(seed);
  const out: Buffer[] = [];
  const fake = {
    on() {}, bind() {}, unref() {}, close() {}, address: () => ({ port: 0 }),
    send(buf: Buffer, off: number, len: number, _p: number, _a: string, cb?: (e: null, n: number) => void) {
      out.push(Buffer.from(buf.subarray(off, off + len)));
      cb?.(null, len);
    },
  };
  const session = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, dgramModule: { createSocket: () => fake } }) as unknown as {
    trap(oid: string, vbs: Vb[], cb: () => void): void;
  };
  for (let i = 0; i < size; i++) {
    const oid = pickWeighted(r, TRAPS);
    session.trap(oid, trapVarbinds(oid, r), () => undefined);
  }
  return { packets: out, sources: devices.filter((d) => d.kind !== 'linux' || d.address.endsWith('.36')).map((d) => d.address) };
}
