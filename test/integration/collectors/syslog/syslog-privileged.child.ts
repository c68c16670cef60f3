/**
 * Run as user nobody by syslog-privileged.test.ts: the syslog listener as the
 * server runs it (UDP receive threads, IPv4 and IPv6 when available) asked for
 * port 514, which must fall back. Prints statuses and warnings as one JSON line.
 */
import { pino } from 'pino';
import { createSyslogListener } from '../../../../server/collectors/syslog/syslog.listener.js';

const warnings: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
const [fb, v6] = [Number(process.argv[2]), process.argv[3] === 'v6'];
const l = createSyslogListener({ udpPort: 514, tcpPort: 514, host: '127.0.0.1', host6: v6 ? '::1' : null, receiveThread: true, fallbackPort: fb, logger }, () => undefined);
const statuses = await l.start();
await l.stop();
process.stdout.write(JSON.stringify({ statuses, warnings }) + '\n');
