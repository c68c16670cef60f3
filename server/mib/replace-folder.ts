import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes the folder `<root>/<name>` as a whole: `fill` writes the files into a temporary folder beside it
 * (a name starting with a dot, which the MIB loader skips), which then takes the old folder's place by
 * renames, so a load sees the old set or the new one, never a mix. On failure the temporary folder goes.
 */
export function replaceFolder(root: string, name: string, fill: (tmp: string) => void): void {
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    fill(tmp);
    const dir = join(root, name);
    const old = existsSync(dir) ? join(root, `.old-${process.pid}-${randomBytes(4).toString('hex')}`) : null;
    if (old) renameSync(dir, old);
    renameSync(tmp, dir);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
