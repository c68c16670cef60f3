import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { TestServer } from '../../helpers/server.js';

export function publisher(srv: TestServer) {
  return (over: Partial<NormalizedEvent>) =>
    srv.nms.bus.publish('event.received', {
      receivedAt: Date.now(),
      reportedAt: null,
      source: 'syslog',
      sourceAddress: '127.0.0.1',
      deviceId: null,
      severity: 'info',
      type: 'test',
      message: '',
      params: {},
      ...over,
    });
}

/** A trap shaped like the receiver's: type = trap OID, params.varbinds. */
export function linkTrap(kind: 'down' | 'up', ifIndex: number, sourceAddress = '127.0.0.1'): Partial<NormalizedEvent> {
  return {
    source: 'trap',
    sourceAddress,
    type: kind === 'down' ? '1.3.6.1.6.3.1.1.5.3' : '1.3.6.1.6.3.1.1.5.4',
    message: `link${kind === 'down' ? 'Down' : 'Up'}`,
    params: {
      trapOid: kind === 'down' ? '1.3.6.1.6.3.1.1.5.3' : '1.3.6.1.6.3.1.1.5.4',
      varbinds: [
        { oid: '1.3.6.1.2.1.1.3.0', type: 'TimeTicks', value: 12345 },
        { oid: `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, type: 'Integer', value: ifIndex },
        { oid: `1.3.6.1.2.1.2.2.1.8.${ifIndex}`, type: 'Integer', value: kind === 'down' ? 2 : 1 },
      ],
    },
  };
}

export async function until<T>(fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
