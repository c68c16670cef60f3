import { startNetwatch } from './app.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { createLogger, moduleLogger } from './log/logger.js';
import { RoleError } from './modules/roles.js';
import { StoreOpenError } from './store/open-store.js';
import { SecretKeyError } from './store/secret-box.js';

// Composition root: read config, start, stop cleanly on SIGINT/SIGTERM.
let config;
try {
  config = loadConfig(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`netwatch: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const root = createLogger({ level: config.logLevel, format: config.logFormat });
const log = moduleLogger(root, 'main');

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
// Logged with the error object, then Node ends the process as it would anyway: state after an
// uncaught exception cannot be trusted, so there is deliberately no "log and carry on" net.
process.on('uncaughtExceptionMonitor', (err, origin) => log.fatal({ err, origin }, 'uncaught exception; exiting'));
if (!protoAccessorDisabled()) {
  log.warn('running without --disable-proto=throw (npm start and the Docker image set it): Object.prototype.__proto__ is writable');
}

try {
  const nms = await startNetwatch(config, root);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    nms.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  log.fatal({ err }, 'start-up failed');
  // A missing or wrong secret key, a role this setup cannot run, or a PostgreSQL store that cannot be
  // reached or migrated is the operator's to fix: say it plainly, like a config error (never with the URL's password).
  const operators = err instanceof SecretKeyError || err instanceof RoleError || err instanceof StoreOpenError;
  if (operators) process.stderr.write(`netwatch: cannot start: ${err.message}\n`);
  process.exit(operators ? 2 : 1);
}

/** Whether Node runs with --disable-proto (throw: reading it throws; delete: it is gone). */
function protoAccessorDisabled(): boolean {
  try {
    return ({} as { __proto__?: unknown }).__proto__ === undefined;
  } catch {
    return true;
  }
}
