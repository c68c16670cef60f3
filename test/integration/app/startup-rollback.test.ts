import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../helpers/server.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listenTcp(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(s));
  });
}
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

describe('a start-up that fails part way', () => {
  it('stops the modules it had started: their sockets are free again for the next attempt', async () => {
    // The HTTP port is taken, so the api module fails after intake has bound its syslog TCP port.
    const taken = await listenTcp(0);
    cleanups.push(() => close(taken));
    const probe = await listenTcp(0);
    const syslogTcpPort = (probe.address() as net.AddressInfo).port;
    await close(probe);
    const dataDir = mkdtempSync(join(tmpdir(), 'netwatch-rollback-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

    const failed = await startTestServer({
      dataDir,
      env: { NMS_HTTP_PORT: String((taken.address() as net.AddressInfo).port), NMS_SYSLOG_HOST: '127.0.0.1', NMS_SYSLOG_TCP_PORT: String(syslogTcpPort), NMS_TRAP_HOST: '127.0.0.1' },
    }).then(
      (s) => (cleanups.push(() => s.stop()), null),
      (err: unknown) => err as NodeJS.ErrnoException,
    );
    expect(failed?.code).toBe('EADDRINUSE');

    // The syslog TCP port was released, and the same data dir starts cleanly on a free HTTP port.
    const again = await listenTcp(syslogTcpPort);
    await close(again);
    const srv = await startTestServer({ dataDir, env: { NMS_SYSLOG_HOST: '127.0.0.1', NMS_SYSLOG_TCP_PORT: String(syslogTcpPort), NMS_TRAP_HOST: '127.0.0.1' } });
    cleanups.push(() => srv.nms.stop());
    expect(srv.nms.listeners().some((l) => l.protocol === 'tcp' && l.boundPort === syslogTcpPort && l.state === 'listening')).toBe(true);
  });
});
