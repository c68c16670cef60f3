import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';

const dirs: string[] = [];
const running: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.kill()));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('NMS_ROLE at start-up', () => {
  for (const role of ['collector', 'central']) {
    it(`refuses to start as ${role} without NMS_NATS_URL, saying so, with a non-zero exit`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'netwatch-role-'));
      dirs.push(dir);
      const started = startServerProcess(dir, { NMS_ROLE: role, NMS_ADMIN_PASSWORD: 'admin-password-1' });
      started.then((s) => running.push(s), () => undefined);
      const err = await started.then(
        () => new Error('the server started'),
        (e: unknown) => e as Error,
      );
      expect(err.message).toMatch(/server exited \(2\) before listening/);
      expect(err.message).toContain(`netwatch: cannot start: role "${role}" needs a NATS server between central and collectors: set NMS_NATS_URL`);
    });
  }

  it('starts as all, the default, and serves the console', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netwatch-role-'));
    dirs.push(dir);
    const s = await startServerProcess(dir, { NMS_ROLE: 'all', NMS_ADMIN_PASSWORD: 'admin-password-1' });
    running.push(s);
    const res = await fetch(`${s.url}/api/v1/health`);
    expect(res.status).toBe(200);
    expect(await s.stop()).toBe(0);
  });
});
