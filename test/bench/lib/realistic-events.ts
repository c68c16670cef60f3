/**
 * Realistic stored events for storage and write-path measurements: 50 devices
 * (Cisco IOS/NX-OS/ASA, Juniper, Linux) and a few unknown senders, lines of
 * ~120-220 bytes through the real syslog parser, and 5 % SNMP traps through the
 * real trap converter. Deterministic (seeded), so runs compare.
 */
import * as snmp from 'net-snmp';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import { parseSyslog } from '../../../server/collectors/syslog/syslog.parser.js';
import { trapToEvent } from '../../../server/collectors/trap/trap.convert.js';

/** Small deterministic PRNG (mulberry32). */
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

type Kind = 'ios' | 'nxos' | 'asa' | 'junos' | 'linux';
interface Dev {
  id: number;
  name: string;
  address: string;
  kind: Kind;
}

const KINDS: Kind[] = ['ios', 'ios', 'ios', 'nxos', 'asa', 'junos', 'junos', 'linux', 'linux', 'linux'];
export const DEVICES: Dev[] = Array.from({ length: 50 }, (_, i) => {
  const kind = KINDS[i % KINDS.length]!;
  const name = { ios: 'core-sw', nxos: 'nx', asa: 'asa-fw', junos: 'mx', linux: 'web' }[kind] + String(i + 1).padStart(2, '0');
  return { id: i + 1, name, address: `10.20.${Math.floor(i / 200)}.${(i % 200) + 1}`, kind };
});
const UNKNOWN = Array.from({ length: 8 }, (_, i) => `192.0.2.${i + 10}`);

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function bsdTime(ms: number): string {
  const d = new Date(ms);
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
const ip = (r: () => number) => `10.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}.${Math.floor(r() * 250) + 1}`;
const USERS = ['admin', 'deploy', 'noc', 'backup', 'jsmith', 'root'];

function line(dev: Dev, r: () => number, at: number, seq: number): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const ifn = `GigabitEthernet${Math.floor(r() * 4)}/${Math.floor(r() * 48) + 1}`;
  switch (dev.kind) {
    case 'ios': {
      const t = `${bsdTime(at)}.${pad(at % 1000, 3)} UTC`;
      const body = pick([
        () => `%LINEPROTO-5-UPDOWN: Line protocol on Interface ${ifn}, changed state to ${pick(['up', 'down'])}`,
        () => `%LINK-3-UPDOWN: Interface ${ifn}, changed state to ${pick(['up', 'down'])}`,
        () => `%SEC-6-IPACCESSLOGP: list ${pick([101, 102, 150])} denied tcp ${ip(r)}(${Math.floor(r() * 60000)}) -> ${ip(r)}(${pick([22, 23, 80, 443])}), 1 packet`,
        () => `%SYS-5-CONFIG_I: Configured from console by ${pick(USERS)} on vty${Math.floor(r() * 5)} (${ip(r)})`,
        () => `%DUAL-5-NBRCHANGE: EIGRP-IPv4 100: Neighbor ${ip(r)} (Vlan${Math.floor(r() * 400)}) is ${pick(['down: holding time expired', 'up: new adjacency'])}`,
        () => `%OSPF-5-ADJCHG: Process 1, Nbr ${ip(r)} on ${ifn} from LOADING to FULL, Loading Done`,
      ])();
      return `<189>${seq}: ${dev.name}: ${t}: ${body}`;
    }
    case 'nxos':
      return `<189>: ${new Date(at).getUTCFullYear()} ${bsdTime(at)} UTC: ${pick([
        `%ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface Ethernet1/${Math.floor(r() * 48) + 1} is down (Link failure)`,
        `%ETH_PORT_CHANNEL-5-PORT_UP: port-channel${Math.floor(r() * 20)}: Ethernet1/${Math.floor(r() * 48) + 1} is up`,
        `%VSHD-5-VSHD_SYSLOG_CONFIG_I: Configured from vty by ${pick(USERS)} on ${ip(r)}@pts/${Math.floor(r() * 9)}`,
      ])}`;
    case 'asa': {
      const id = pick(['302013', '302014', '106023', '305011']);
      return `<166>${bsdTime(at)} ${new Date(at).getUTCFullYear()} ${dev.name} : %ASA-6-${id}: ${
        id === '106023'
          ? `Deny tcp src outside:${ip(r)}/${Math.floor(r() * 60000)} dst inside:${ip(r)}/22 by access-group "OUTSIDE" [0x0, 0x0]`
          : `Built outbound TCP connection ${Math.floor(r() * 1e7)} for outside:${ip(r)}/443 (${ip(r)}/443) to inside:${ip(r)}/${Math.floor(r() * 60000)} (${ip(r)}/${Math.floor(r() * 60000)})`
      }`;
    }
    case 'junos':
      return r() < 0.5
        ? `<28>${bsdTime(at)} ${dev.name} mib2d[${1000 + dev.id}]: SNMP_TRAP_LINK_${pick(['DOWN', 'UP'])}: ifIndex ${500 + Math.floor(r() * 100)}, ifAdminStatus up(1), ifOperStatus ${pick(['down(2)', 'up(1)'])}, ifName ge-0/0/${Math.floor(r() * 48)}`
        : `<29>1 ${new Date(at).toISOString()} ${dev.name} rpd ${2000 + dev.id} BGP_PREFIX_THRESH_EXCEEDED [junos@2636.1.1.1.2.57 peer="${ip(r)}" limit="160"] ${ip(r)} (External AS 6500${Math.floor(r() * 9)}): Configured maximum prefix-limit threshold(160) exceeded`;
    case 'linux':
      return pick([
        () => `<38>${bsdTime(at)} ${dev.name} sshd[${Math.floor(r() * 60000)}]: Accepted publickey for ${pick(USERS)} from ${ip(r)} port ${Math.floor(r() * 60000)} ssh2: ED25519 SHA256:${Math.floor(r() * 1e12).toString(36)}`,
        () => `<86>${bsdTime(at)} ${dev.name} CRON[${Math.floor(r() * 60000)}]: pam_unix(cron:session): session opened for user ${pick(USERS)}(uid=0) by (uid=0)`,
        () => `<30>${bsdTime(at)} ${dev.name} systemd[1]: Started Session ${Math.floor(r() * 9000)} of User ${pick(USERS)}; unit session-${Math.floor(r() * 9000)}.scope is now running.`,
        () => `<4>${bsdTime(at)} ${dev.name} kernel: [${Math.floor(r() * 1e6)}.${Math.floor(r() * 1e6)}] eth${Math.floor(r() * 2)}: link ${pick(['down', 'up (1000Mbps/Full duplex)'])}`,
        () => `<35>${bsdTime(at)} ${dev.name} sshd[${Math.floor(r() * 60000)}]: Failed password for invalid user ${pick(['oracle', 'test', 'ubuntu', 'pi'])} from ${ip(r)} port ${Math.floor(r() * 60000)} ssh2`,
      ])();
  }
}

const T = snmp.ObjectType;
function trap(dev: { address: string; id: number | null }, r: () => number, at: number, id: number): NormalizedEvent {
  const ifIndex = Math.floor(r() * 48) + 1;
  const down = r() < 0.5;
  const pdu = {
    type: snmp.PduType.TrapV2,
    id,
    varbinds: [
      { oid: '1.3.6.1.2.1.1.3.0', type: T.TimeTicks, value: Math.floor(r() * 1e8) },
      { oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OID, value: down ? '1.3.6.1.6.3.1.1.5.3' : '1.3.6.1.6.3.1.1.5.4' },
      { oid: `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, type: T.Integer, value: ifIndex },
      { oid: `1.3.6.1.2.1.2.2.1.2.${ifIndex}`, type: T.OctetString, value: Buffer.from(`GigabitEthernet0/${ifIndex}`) },
      { oid: `1.3.6.1.2.1.2.2.1.7.${ifIndex}`, type: T.Integer, value: 1 },
      { oid: `1.3.6.1.2.1.2.2.1.8.${ifIndex}`, type: T.Integer, value: down ? 2 : 1 },
    ],
  };
  return trapToEvent(pdu, { receivedAt: at, udpAddress: dev.address, udpPort: 40000 + Math.floor(r() * 20000), resolveDevice: () => dev.id });
}

/**
 * `count` events as collectors make them, `perSecond` of them per second of
 * receive time starting at `startMs`. 2 % come from unknown senders (no device).
 */
export function* realisticEvents(count: number, opts: { seed?: number; startMs?: number; perSecond?: number } = {}): Generator<NormalizedEvent> {
  const r = rng(opts.seed ?? 1);
  const start = opts.startMs ?? Date.UTC(2026, 11, 1);
  const perSecond = opts.perSecond ?? 1000;
  for (let i = 0; i < count; i++) {
    const at = start + Math.floor((i * 1000) / perSecond);
    const unknown = r() < 0.02;
    const dev = unknown ? null : DEVICES[Math.floor(r() * DEVICES.length)]!;
    const address = dev ? dev.address : UNKNOWN[Math.floor(r() * UNKNOWN.length)]!;
    if (r() < 0.05) {
      yield trap({ address, id: dev?.id ?? null }, r, at, i);
      continue;
    }
    const text = line(dev ?? { id: 0, name: `unknown${address.slice(-2)}`, address, kind: 'linux' }, r, at, i);
    const e = parseSyslog(Buffer.from(text), { receivedAt: at, sourceAddress: address, deviceId: dev?.id ?? null });
    yield e;
  }
}
