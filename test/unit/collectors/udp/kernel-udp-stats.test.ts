import { describe, expect, it } from 'vitest';
import { parseProcNetSnmp, parseProcNetSnmp6, readKernelUdpStats } from '../../../../server/collectors/udp/kernel-udp-stats.js';

describe('kernel UDP drop counters', () => {
  it('reads RcvbufErrors from the Udp: lines of /proc/net/snmp', () => {
    const text = [
      'Tcp: RtoAlgorithm RtoMin', 'Tcp: 1 200',
      'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'Udp: 14897 29 7 14927 5 0 0 0 0',
      'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'UdpLite: 0 0 0 0 9 0 0 0 0',
    ].join('\n');
    expect(parseProcNetSnmp(text)).toEqual({ rcvbufErrors: 5, inErrors: 7 });
    expect(parseProcNetSnmp('')).toEqual({ rcvbufErrors: -1, inErrors: -1 });
  });

  it('reads Udp6RcvbufErrors from /proc/net/snmp6', () => {
    expect(parseProcNetSnmp6('Udp6InErrors   3\nUdp6RcvbufErrors                \t12\nUdpLite6RcvbufErrors 4\n')).toBe(12);
    expect(parseProcNetSnmp6('Udp6InErrors   3\nUdp6RcvbufErrors 12\n', 'Udp6InErrors')).toBe(3);
    expect(parseProcNetSnmp6('')).toBe(-1);
  });

  it('reads this machine\'s counters', () => {
    const k = readKernelUdpStats();
    expect(k.udp4RcvbufErrors).toBeGreaterThanOrEqual(0);
    expect(k.udp4InErrors).toBeGreaterThanOrEqual(k.udp4RcvbufErrors);
  });
});
