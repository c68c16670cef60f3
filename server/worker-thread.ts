import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * Where a worker entry lives next to the module that starts it. Compiled
 * (dist/...js) it is `./NAME.js`; run from TypeScript sources (vitest, tsx) it
 * is `./NAME.ts`, which a worker can only load after registering tsx's loader
 * (Node 20 ignores `--import` in a worker's execArgv).
 */
export function workerEntry(base: string, name: string): { url: URL; fromTs: boolean } {
  const fromTs = base.endsWith('.ts');
  return { url: new URL(fromTs ? `./${name}.ts` : `./${name}.js`, base), fromTs };
}

/**
 * Workers run under the process's `--disable-proto=throw` (npm start, the image, the test runner):
 * Node applies it to every thread, whatever a Worker's own execArgv says.
 *
 * Starts the worker `name` (e.g. 'poll.worker') that sits beside the module
 * whose `import.meta.url` is `base`; from TypeScript sources it starts from a
 * small bootstrap that registers tsx first.
 */
export function startWorker(base: string, name: string, workerData: unknown, transferList?: TransferListItem[]): Worker {
  const { url, fromTs } = workerEntry(base, name);
  if (!fromTs) return new Worker(url, { workerData, transferList });
  // The ESM build of tsx's API (its `import` export), located through its package.json.
  const req = createRequire(import.meta.url);
  const pkgPath = req.resolve('tsx/package.json');
  const pkg = req(pkgPath) as { exports: Record<string, { import: { default: string } }> };
  const tsxApi = new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgPath)).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData, transferList });
}
