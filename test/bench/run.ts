/**
 * `npm run bench`: runs every test/bench/*.bench.ts in its own process, one
 * after the other (the machines are small and noisy), passing their JSON lines
 * through. `npm run bench -- syslog` runs only files whose name contains "syslog".
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const f of files) {
  process.stderr.write(`# ${f}\n`);
  // 15 minutes each, unless the file says otherwise in its header (`@timeout-minutes N`).
  const minutes = Number(/@timeout-minutes (\d+)/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? 15);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: ['ignore', 'inherit', 'inherit'], timeout: minutes * 60_000 });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${JSON.stringify({ bench: f.replace(/\.bench\.ts$/, ''), error: `exited with ${r.status ?? r.signal}` })}\n`);
  }
}
process.exit(failed ? 1 : 0);
