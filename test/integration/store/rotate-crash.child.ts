/**
 * Runs a key rotation and kills this process with SIGKILL right after the
 * step named on the command line, as a crash or power cut would stop it.
 * Usage: rotate-crash.child.ts <db file> <key file> <staged|committed|installed>
 */
import { rotateSecretKey, type RotationStep } from '../../../server/store/secret-store.js';

const [dbFile, keyFile, crashAfter] = process.argv.slice(2) as [string, string, RotationStep];
rotateSecretKey(dbFile, keyFile, {
  afterStep: (step) => {
    if (step !== crashAfter) return;
    process.kill(process.pid, 'SIGKILL');
    for (;;); // nothing more of the rotation runs
  },
});
process.stdout.write('rotation finished without the crash\n');
