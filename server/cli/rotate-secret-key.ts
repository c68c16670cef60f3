/**
 * Replaces the key that encrypts stored secrets and re-encrypts all of them.
 * Run with the server stopped (it refuses while the database is open):
 *
 *   npm run rotate-secret-key -- --data-dir /var/lib/netwatch [--secret-key-file F] [--keep-old-key]
 *   node dist/server/cli/rotate-secret-key.js --data-dir … (same options as the server: flags, NMS_* env, --config)
 *
 * Exit codes: 0 rotated, 1 refused or failed (nothing changed that the server cannot read), 2 bad arguments.
 */
import { ConfigError, loadConfig } from '../config/load-config.js';
import { storePaths } from '../store/open-store.js';
import { SecretKeyError } from '../store/secret-box.js';
import { rotateSecretKey } from '../store/secret-store.js';

const USAGE = `usage: rotate-secret-key [--data-dir DIR] [--secret-key-file FILE] [--config FILE] [--keep-old-key]

Generates a new secret key, re-encrypts every stored secret with it in one
transaction and puts it in place of the old key file. Stop the server first.
--keep-old-key leaves the old key as <key file>.<old key id>.old (needed to read
database backups taken before the rotation).`;

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const keepOldKey = argv.includes('--keep-old-key');
  let paths;
  try {
    const config = loadConfig(argv.filter((a) => a !== '--keep-old-key'));
    paths = storePaths(config.dataDir, config.secretKeyFile);
    if (config.databaseUrl) {
      // It locks the SQLite file to be sure no server is running; PostgreSQL has no such lock yet.
      process.stderr.write('rotate-secret-key: the store is on PostgreSQL (databaseUrl is set): key rotation works on the SQLite store only so far\n');
      return 2;
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`rotate-secret-key: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const r = rotateSecretKey(paths.dbPath, paths.keyFile, { keepOldKey });
    if (r.rotation === 'completed') process.stdout.write('finished an earlier, interrupted rotation first\n');
    if (r.rotation === 'discarded') process.stdout.write('undid an earlier, interrupted rotation first\n');
    process.stdout.write(
      `rotated the secret key ${r.oldKid} -> ${r.newKid}: ${r.rewritten} stored secret(s) re-encrypted; ${paths.keyFile} holds the new key` +
        `${r.oldKeyFile ? `, the old one is kept in ${r.oldKeyFile}` : ''}. Back up the new key file.\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof SecretKeyError)) throw err;
    process.stderr.write(`rotate-secret-key: ${err.message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
