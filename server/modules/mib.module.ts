import { resolve } from 'node:path';
import { registerMibRoutes } from '../api/mib.routes.js';
import { registerSnmpBrowseRoutes } from '../api/snmp-browse.routes.js';
import { MibService } from '../mib/mib.service.js';
import { MIBS_DIR } from '../paths.js';
import { MibUploadRepository } from '../store/mib-upload.repository.js';
import type { AppContext, Module } from './module.js';
import type { StoreModule } from './store.module.js';

export interface MibModule extends Module {
  /** MIB compiler/uploads; its dictionary is empty until the first load ends. */
  readonly mibs: MibService;
  /** Runs `fn` after each (re)load of the dictionary: the first load, and uploads. */
  onChange(fn: () => void): void;
}

/**
 * The OID dictionary: the compiled MIB index, loaded at start (a warm start is fast; a cold compile logs
 * its result). The engine's rules naming MIB objects are recompiled once it has loaded, and after uploads.
 * Several central nodes on one store keep uploads in it too: an upload through one node is announced
 * (change notice `mibs`) and written and compiled on the others (docs/SCALING.md).
 */
export function mibModule(ctx: AppContext, deps: { store?: StoreModule }): MibModule {
  const log = ctx.log('app');
  const mibs = new MibService({
    dataDir: resolve(ctx.config.dataDir),
    projectDir: MIBS_DIR,
    extraDirs: ctx.config.mibDirs.split(',').map((d) => d.trim()).filter(Boolean).map((d) => resolve(d)),
    log: ctx.log('mib'),
    bundleLimits: {
      maxEntries: ctx.config.mibBundleMaxEntries,
      maxTotalBytes: ctx.config.mibBundleMaxTotalBytes,
      maxFileBytes: ctx.config.mibBundleMaxFileBytes,
      maxRatio: ctx.config.mibBundleMaxRatio,
    },
  });
  const listeners: (() => void)[] = [];
  const changed = () => {
    for (const fn of listeners) fn();
  };
  let stopping = false;
  const uploaded = () => {
    changed();
    ctx.cluster?.announce('mibs');
  };
  return {
    name: 'mib',
    mibs,
    onChange: (fn) => void listeners.push(fn),
    async start() {
      const cluster = ctx.cluster;
      if (cluster && deps.store) {
        mibs.share(new MibUploadRepository(deps.store.store.db));
        cluster.onNotice('mibs', () => {
          mibs
            .syncShared()
            .then((replaced) => replaced && changed())
            .catch((err: unknown) => {
              if (stopping) log.debug('MIB sync stopped with the server');
              else log.error({ err }, 'MIB uploads from another node could not be loaded');
            });
        });
      }
      mibs
        .load()
        .then(changed)
        .catch((err: unknown) => {
          // A stop during the first load aborts it: not a failure.
          if (stopping) log.debug('MIB load stopped with the server');
          else log.error({ err }, 'MIB load failed');
        });
    },
    async stop() {
      stopping = true;
      await mibs.close(); // before the engine stops: a load finishing now would reload its rules
    },
    routes(api, router) {
      registerMibRoutes(api, router, { mibs, onChange: uploaded, bundleMaxBytes: ctx.config.mibBundleMaxBytes });
      if (deps.store) registerSnmpBrowseRoutes(api, { devices: deps.store.store.devices, dictionary: () => mibs.dictionary, outbound: ctx.outbound });
    },
  };
}
