import { snmprec, systemGroup, type SnmprecLine } from './snmpsim.js';

/**
 * An RMON probe recording for snmpsim (RFC 2819 numeric OIDs): two alarmTable rows, three
 * eventTable rows, two historyControl entries with their etherHistory buckets.
 * - alarm 1 samples etherStatsCRCAlignErrors.1 (delta), fires event 1 "Critical: ..." rising, 2 falling;
 * - alarm 2 samples ifInOctets.1 (absolute), fires event 3 (no severity word) rising, 2 falling;
 * - history control 1 watches ifIndex.1 (3 buckets), control 2 ifIndex.2 (2 buckets).
 */
export const RMON_ALARM = '1.3.6.1.2.1.16.3.1.1';
export const RMON_EVENT = '1.3.6.1.2.1.16.9.1.1';
export const RMON_HISTORY_CONTROL = '1.3.6.1.2.1.16.2.1.1';
export const RMON_ETHER_HISTORY = '1.3.6.1.2.1.16.2.2.1';
export const CRC_ERRORS_1 = '1.3.6.1.2.1.16.1.1.1.8.1';
export const IF_IN_OCTETS_1 = '1.3.6.1.2.1.2.2.1.10.1';
export const PROBE_UPTIME = 1_000_000;

export function rmonProbe(name = 'rmon-probe'): SnmprecLine[] {
  const lines: SnmprecLine[] = [...systemGroup({ descr: 'RMON probe (simulated)', objectId: '1.3.6.1.4.1.99999.16', name, upTicks: PROBE_UPTIME })];
  const alarm = (i: number, interval: number, variable: string, sample: number, value: number, rising: number, falling: number, riseEv: number, fallEv: number) => {
    const c = (col: number) => `${RMON_ALARM}.${col}.${i}`;
    lines.push(
      snmprec(c(1), 'int', i), snmprec(c(2), 'int', interval), snmprec(c(3), 'oid', variable), snmprec(c(4), 'int', sample), snmprec(c(5), 'int', value),
      snmprec(c(6), 'int', 3), snmprec(c(7), 'int', rising), snmprec(c(8), 'int', falling), snmprec(c(9), 'int', riseEv), snmprec(c(10), 'int', fallEv),
      snmprec(c(11), 'str', 'monitor'), snmprec(c(12), 'int', 1),
    );
  };
  alarm(1, 30, CRC_ERRORS_1, 2, 12, 10, 2, 1, 2);
  alarm(2, 60, IF_IN_OCTETS_1, 1, 5000, 4000, 1000, 3, 2);
  const event = (i: number, descr: string, type: number, sent: number) => {
    const c = (col: number) => `${RMON_EVENT}.${col}.${i}`;
    lines.push(snmprec(c(1), 'int', i), snmprec(c(2), 'str', descr), snmprec(c(3), 'int', type), snmprec(c(4), 'str', 'public'), snmprec(c(5), 'ticks', sent), snmprec(c(6), 'str', 'monitor'), snmprec(c(7), 'int', 1));
  };
  event(1, 'Critical: CRC errors on port 1', 4, 900_000);
  event(2, 'CRC errors back to normal', 2, 0);
  event(3, 'octets over the limit', 3, 950_000);
  const control = (i: number, ifIndex: number, granted: number) => {
    const c = (col: number) => `${RMON_HISTORY_CONTROL}.${col}.${i}`;
    lines.push(snmprec(c(1), 'int', i), snmprec(c(2), 'oid', `1.3.6.1.2.1.2.2.1.1.${ifIndex}`), snmprec(c(3), 'int', 50), snmprec(c(4), 'int', granted), snmprec(c(5), 'int', 30), snmprec(c(6), 'str', 'monitor'), snmprec(c(7), 'int', 1));
    for (let s = 1; s <= granted; s++) {
      const h = (col: number) => `${RMON_ETHER_HISTORY}.${col}.${i}.${s}`;
      lines.push(
        snmprec(h(1), 'int', i), snmprec(h(2), 'int', s), snmprec(h(3), 'ticks', PROBE_UPTIME - (granted - s + 1) * 3000), snmprec(h(4), 'counter32', 0),
        snmprec(h(5), 'counter32', 100_000 * s * ifIndex), snmprec(h(6), 'counter32', 900 * s), snmprec(h(7), 'counter32', 10), snmprec(h(8), 'counter32', 20),
        snmprec(h(9), 'counter32', s === 2 ? 7 : 0), snmprec(h(10), 'counter32', 0), snmprec(h(11), 'counter32', 0), snmprec(h(12), 'counter32', 0),
        snmprec(h(13), 'counter32', 0), snmprec(h(14), 'counter32', s), snmprec(h(15), 'int', 1000 * s + 234),
      );
    }
  };
  control(1, 1, 3);
  control(2, 2, 2);
  return lines;
}
