import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { startNatsServer, type NatsServerHandle } from './nats-server.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { apiClient, login } from './server.js';

/**
 * A real nats-server, a central and one collector of `site` (each its own process, the build, as
 * `npm start` runs them), with the collector registered at the central (its public key is there,
 * so the site's credentials reach it). `stop()` ends them all and removes their data dirs.
 */
export interface CentralAndCollector {
  nats: NatsServerHandle;
  central: ServerProcess;
  collector: ServerProcess;
  collectorId: string;
  /** API client of the central, signed in as admin. */
  call: ReturnType<typeof apiClient>;
  stop(): Promise<void>;
}

export async function startCentralAndCollector(opts: { site: string; password: string }): Promise<CentralAndCollector> {
  const nats = await startNatsServer();
  const centralDir = mkdtempSync(join(tmpdir(), 'nw-central-'));
  const collectorDir = mkdtempSync(join(tmpdir(), 'nw-collector-'));
  let central: ServerProcess | undefined;
  let collector: ServerProcess | undefined;
  const stop = async () => {
    await collector?.kill();
    await central?.kill();
    await nats.stop();
    for (const dir of [centralDir, collectorDir]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    central = await startServerProcess(centralDir, { NMS_ROLE: 'central', NMS_NATS_URL: nats.url, NMS_ADMIN_PASSWORD: opts.password }, 60_000, 'dist');
    collector = await startServerProcess(collectorDir, { NMS_ROLE: 'collector', NMS_NATS_URL: nats.url, NMS_SITE: opts.site, NMS_POLLER: 'true' }, 60_000, 'dist');
    const call = apiClient(central.url, (await login(central.url, 'admin', opts.password)).token);
    const collectorId = readFileSync(join(collectorDir, 'collector-id'), 'utf8').trim();
    await vi.waitFor(
      async () => {
        const r = await call('GET', '/collectors');
        expect((r.body as { id: string; publicKey: string | null }[]).find((c) => c.id === collectorId)?.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      },
      { timeout: 30_000, interval: 250 },
    );
    return { nats, central, collector, collectorId, call, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
