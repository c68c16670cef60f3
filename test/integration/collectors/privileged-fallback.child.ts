/**
 * Run as an unprivileged user by privileged-fallback.test.ts: binds syslog's
 * and the trap receiver's privileged ports, which must fall back, and prints
 * what was bound as one JSON line.
 */
import { pino } from 'pino';
import { createSyslogListener } from '../../../server/collectors/syslog/syslog.listener.js';
import { createTrapReceiver } from '../../../server/collectors/trap/trap.receiver.js';

const warnings: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
const fb = Number(process.argv[2]);
const syslog = createSyslogListener({ udpPort: 514, tcpPort: 514, host: '127.0.0.1', host6: null, logger, fallbackPort: fb }, () => undefined);
const trap = createTrapReceiver({ port: 162, host: '127.0.0.1', host6: null, logger, fallbackPort: fb + 1 }, { submit: () => undefined });
const statuses = [...(await syslog.start()), ...(await trap.start())];
await syslog.stop();
await trap.stop();
process.stdout.write(JSON.stringify({ statuses, warnings }) + '\n');
