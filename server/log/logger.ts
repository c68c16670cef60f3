import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  level: LevelWithSilent;
  /** JSON lines (production) or a compact human-readable line. */
  format?: 'json' | 'pretty';
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A small pretty printer so `npm start` is readable without another dependency. */
function prettyStream(): pino.DestinationStream {
  return {
    write(line: string) {
      try {
        const { level, time, module, msg, err, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
        const stack = err && typeof err === 'object' && 'stack' in err ? `\n${String((err as { stack: unknown }).stack)}` : '';
        const when = new Date(Number(time)).toISOString().slice(11, 23);
        process.stdout.write(`${when} ${LEVEL_NAMES[Number(level)] ?? level} [${module ?? 'app'}] ${msg ?? ''}${extra}${stack}\n`);
      } catch {
        process.stdout.write(line);
      }
    },
  };
}

/** Root logger; modules take `root.child({ module: 'name' })` via `moduleLogger`. */
export function createLogger(opts: LogOptions): Logger {
  const format = opts.format ?? (process.env.NODE_ENV === 'production' || !process.stdout.isTTY ? 'json' : 'pretty');
  return pino({ level: opts.level, base: { pid: process.pid } }, format === 'pretty' ? prettyStream() : undefined);
}

export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}
