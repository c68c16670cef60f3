import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGateway } from '../../../server/rootcause/gateway.js';

describe('the polling host\'s default gateway (a root when no device is marked)', () => {
  it('reads the default route of /proc/net/route (little-endian hex)', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'nw-gw-')), 'route');
    writeFileSync(f, [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    ].join('\n'));
    expect(defaultGateway(f)).toBe('192.168.1.1');
  });

  it('answers null without a default route or a readable table', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'nw-gw-')), 'route');
    writeFileSync(f, 'Iface\tDestination\tGateway\neth0\t0001A8C0\t00000000\n');
    expect(defaultGateway(f)).toBeNull();
    expect(defaultGateway(join(tmpdir(), 'no-such-route-file'))).toBeNull();
  });
});
