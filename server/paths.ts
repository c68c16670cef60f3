import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is), from the source tree or from dist/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the project root (package.json + migrations/)');
}

export const PROJECT_ROOT = findRoot();
export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'migrations');
export const DEFAULT_CLIENT_DIR = join(PROJECT_ROOT, 'dist', 'client');
export const MIBS_DIR = join(PROJECT_ROOT, 'mibs');
/** PostgreSQL migrations (numbered apart from SQLite's). */
export const PG_MIGRATIONS_DIR = join(PROJECT_ROOT, 'migrations', 'postgres');
/** Shipped collection templates (issue 16). */
export const TEMPLATES_DIR = join(PROJECT_ROOT, 'templates');
