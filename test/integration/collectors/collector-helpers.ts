import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { NormalizedEvent } from '../../../server/contracts/events.js';
import type { EventIntake } from '../../../server/events/event-intake.js';

export const quietLogger = () => pino({ level: 'silent' });

/**
 * An intake for a test that keeps events in memory: handing them to `keep` is
 * all there is to storing them, so a call settles as committed right after.
 */
export function memoryIntake(keep: (events: NormalizedEvent[]) => void): EventIntake {
  return {
    submit(events, onSettled) {
      keep(events);
      if (onSettled) queueMicrotask(() => onSettled('committed'));
    },
  };
}

/** A sink that keeps every event and lets a test wait for the one it expects (`intake` for the trap receiver). */
export function collectingSink() {
  const events: NormalizedEvent[] = [];
  const batches: number[] = [];
  const sink = (batch: NormalizedEvent[]) => {
    batches.push(batch.length);
    events.push(...batch);
  };
  async function waitFor(pred: (e: NormalizedEvent) => boolean, what: string, ms = 15_000): Promise<NormalizedEvent> {
    const t0 = Date.now();
    for (;;) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; have ${events.length} events: ${JSON.stringify(events.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { events, batches, sink, intake: memoryIntake(sink), waitFor };
}

export async function until(fn: () => boolean, what: string, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a real CLI peer; resolves with its exit code (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], timeoutMs = 20_000, env?: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: env ? { ...process.env, ...env } : process.env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A self-signed certificate made by `openssl req -x509` in a temp dir (removed by cleanup). */
export async function selfSignedCert(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nw-cert-'));
  const r = await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const out = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  rmSync(dir, { recursive: true, force: true });
  return out;
}
