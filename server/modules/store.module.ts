import { resolve } from 'node:path';
import { AuditTrail } from '../audit/audit-trail.js';
import { hashPassword, randomPassword } from '../auth/password.js';
import type { Config } from '../config/config.schema.js';
import type { Logger } from '../log/logger.js';
import { MIGRATIONS_DIR } from '../paths.js';
import { AuditRepository } from '../store/audit.repository.js';
import { AuthTokenRepository } from '../store/auth-token.repository.js';
import type { Db } from '../store/database.js';
import { ClusterBridge } from '../cluster/cluster-bridge.js';
import { DeviceRepository, invalidateDeviceCache, toDeviceDto } from '../store/device.repository.js';
import { openStore } from '../store/open-store.js';
import { ReadPool } from '../store/read-pool.js';
import type { SecretBox } from '../store/secret-box.js';
import { UserRepository } from '../store/user.repository.js';
import { Late, type AppContext, type Module } from './module.js';

export interface Store {
  db: Db;
  dbPath: string;
  secrets: SecretBox;
  users: UserRepository;
  tokens: AuthTokenRepository;
  devices: DeviceRepository;
  /** Reader threads that answer the heavy reads (see read-ops.ts), never this thread. */
  reads: ReadPool;
  /** Every change made through the API; trimmed by age in housekeeping. */
  auditTrail: AuditTrail;
}

export interface StoreModule extends Module {
  readonly store: Store;
}

/** The database (migrated at open), the shared repositories, the reader threads, and their housekeeping. */
export function storeModule(ctx: AppContext): StoreModule {
  const { config } = ctx;
  const log = ctx.log('app');
  const store = new Late<Store>('the store');
  let audit: AuditRepository | undefined;
  let housekeeping: NodeJS.Timeout | undefined;
  let offHousekeeping: () => Promise<void> = async () => undefined;
  return {
    name: 'store',
    get store() {
      return store.get();
    },
    async start() {
      const { db, dbPath, secrets } = openStore({ dataDir: resolve(config.dataDir), secretKeyFile: config.secretKeyFile, migrationsDir: MIGRATIONS_DIR, log: ctx.log('store') });
      const users = new UserRepository(db);
      const tokens = new AuthTokenRepository(db);
      await ensureAdmin(users, config, log, ctx.showOnce);
      audit = new AuditRepository(db);
      const auditTrail = new AuditTrail(audit, ctx.log('audit'));
      const reads = await ReadPool.open({ file: dbPath, threads: config.readerThreads, queryTimeoutMs: config.queryTimeoutMs, maxQueue: config.readerQueueMax, log: ctx.log('reads') });
      const devices = new DeviceRepository(db, secrets);
      store.set({ db, dbPath, secrets, users, tokens, devices, reads, auditTrail });
      // Several central nodes: device changes (and the rest the bridge carries) reach the other nodes' caches.
      if (ctx.notices) {
        ctx.cluster = new ClusterBridge(ctx.bus, ctx.notices, {
          device: (id) => {
            const d = devices.get(id);
            return d && toDeviceDto(d);
          },
          deviceIds: () => devices.addresses().map((d) => d.id),
          invalidateDevices: () => invalidateDeviceCache(db),
          log: ctx.log('cluster'),
        });
      }
      offHousekeeping = ctx.singletons.register('housekeeping', {
        start() {
          housekeeping = setInterval(() => runHousekeeping(store.get(), audit!, config, log), 3_600_000);
          housekeeping.unref();
        },
        stop: () => clearInterval(housekeeping),
      });
    },
    async stop() {
      await offHousekeeping();
      ctx.cluster?.close();
      ctx.cluster = null;
      const s = store.get();
      await s.reads.close();
      s.db.close();
    },
    counters() {
      const s = store.get();
      return [
        { name: 'audit', counters: () => s.auditTrail.counters() },
        { name: 'readers', counters: () => s.reads.counters() },
        { name: 'secrets', counters: () => s.secrets.counters() },
      ];
    },
  };
}

/** Hourly: expired tokens out, audit entries past their retention out (in chunks). */
function runHousekeeping(store: Store, audit: AuditRepository, config: Config, log: Logger): void {
  try {
    store.tokens.purgeExpired();
  } catch (err) {
    log.error({ err }, 'token purge failed');
  }
  try {
    const cutoff = Date.now() - config.auditRetentionDays * 86_400_000;
    let removed = 0;
    for (;;) {
      const n = audit.deleteOlderThan(cutoff, 1000);
      removed += n;
      if (n < 1000) break;
    }
    if (removed) log.info({ removed }, 'old audit entries removed');
  } catch (err) {
    log.error({ err }, 'audit retention failed');
  }
}

/**
 * First start: create the admin user, with the configured password or a random one.
 * A generated password is written once to stderr, as plain text for the person
 * starting the server (a terminal, `docker logs`, the journal), never into the JSON log,
 * which is often shipped elsewhere; the log only says where to look.
 */
async function ensureAdmin(users: UserRepository, config: Config, log: Logger, showOnce: (text: string) => void): Promise<void> {
  if (users.count() > 0) return;
  const generated = !config.adminPassword;
  const password = config.adminPassword ?? randomPassword();
  users.create({ username: 'admin', passwordHash: await hashPassword(password), role: 'admin' });
  if (generated) {
    showOnce(
      [
        '',
        '  Netwatch first start: created user "admin" with the generated password',
        '',
        `      ${password}`,
        '',
        '  Log in and change it (user menu > Change password). It is not shown again.',
        '',
      ].join('\n') + '\n',
    );
    log.warn({ username: 'admin' }, 'first start: created user "admin" with a generated password, shown once on stderr (not in this log)');
  } else {
    log.info({ username: 'admin' }, 'first start: created user "admin" with the password from NMS_ADMIN_PASSWORD');
  }
}
