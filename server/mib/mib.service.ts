/**
 * Owns the live OID dictionary: loads it after start-up (warm from the index),
 * accepts uploaded MIB files into `<dataDir>/mibs/` and recompiles what changed.
 * Loads and uploads run one at a time. Several central nodes on one store share their uploads through it
 * (`share`, `syncShared`; see mib-shared.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MibBundleReport, MibCompileResult, MibModuleInfo } from '../contracts/mib.js';
import type { Logger } from '../log/logger.js';
import { loadMibs, type MibLoadResult } from './mib.loader.js';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from './mib-bundle.js';
import { loadBundle } from './mib-bundle.load.js';
import { loadBundleInWorker, loadMibsInWorker } from './mib-worker.js';
import { parseMib } from './mib.parser.js';
import { MibSyntaxError } from './mib.tokenizer.js';
import { MIB_FILENAME_RE, readBundleFiles, syncSharedMibs, type MibUploadStore } from './mib-shared.js';
import { OidDictionary } from './oid-dictionary.js';

export interface MibServiceOptions {
  dataDir: string;
  /** The project's `mibs/` folder. */
  projectDir: string;
  extraDirs?: string[];
  /** Replaces /usr/share/snmp/mibs and /var/lib/mibs (tests). */
  systemDirs?: string[];
  log?: Logger;
  /** Compile in a worker thread (default) so the event loop stays free; false = in this thread. */
  worker?: boolean;
  /** Limits for uploaded bundles (archives). */
  bundleLimits?: BundleLimits;
}

export class MibUploadError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
    this.name = 'MibUploadError';
  }
}

const FILENAME_RE = MIB_FILENAME_RE;

export class MibService {
  private dict = new OidDictionary();
  private last: MibCompileResult | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private loadingNow = false;
  private readonly abort = new AbortController();
  private shared: MibUploadStore | null = null;
  readonly uploadDir: string;
  readonly indexPath: string;

  constructor(private readonly opts: MibServiceOptions) {
    this.uploadDir = join(opts.dataDir, 'mibs');
    this.indexPath = join(opts.dataDir, 'mib-index.json');
  }

  /** The current dictionary (empty until the first load finishes; replaced whole on reload). */
  get dictionary(): OidDictionary {
    return this.dict;
  }

  get lastResult(): MibCompileResult | null {
    return this.last;
  }

  /** True once `close()` was called (a load that fails then was aborted, not broken). */
  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  get loading(): boolean {
    return this.loadingNow;
  }

  /**
   * Several central nodes on one store: from now on uploads are kept in `store` too, and `load` and
   * `syncShared` first write into the upload directory what the store holds and it lacks.
   */
  share(store: MibUploadStore): void {
    this.shared = store;
  }

  /** Compiles (or loads from the index) every known MIB and swaps in the new dictionary. */
  load(): Promise<MibCompileResult> {
    return this.serial(() => {
      this.pullShared();
      return this.compileNow();
    });
  }

  /**
   * Another node changed the uploads: writes what the store holds and this node lacks, and recompiles
   * if anything was written. Resolves true when the dictionary was replaced.
   */
  syncShared(): Promise<boolean> {
    return this.serial(async () => {
      if (!this.shared) return false;
      const r = syncSharedMibs(this.uploadDir, this.shared, this.opts.log);
      if (r.written + r.bundles === 0) return false;
      await this.compileNow();
      return true;
    });
  }

  /**
   * Stores an uploaded MIB and recompiles. A file that does not parse, or
   * holds no module, is refused (and not stored); missing imports are reported
   * in the result, since the next upload may supply them.
   */
  upload(filename: string, content: string): Promise<{ result: MibCompileResult; modules: MibModuleInfo[] }> {
    return this.serial(async () => {
      if (!FILENAME_RE.test(filename)) throw new MibUploadError('filename may contain only letters, digits, ".", "_" and "-"', null);
      let names: string[];
      try {
        names = parseMib(content).map((m) => m.name);
      } catch (err) {
        throw new MibUploadError(`${filename}: ${(err as Error).message}`, err instanceof MibSyntaxError ? err.line : null);
      }
      if (names.length === 0) throw new MibUploadError(`${filename}: no MIB module ("NAME DEFINITIONS ::= BEGIN") found`, null);
      // Into the shared store first: a refused write there stores nothing here either.
      this.shared?.putFile(filename, Buffer.from(content, 'utf8'), Date.now());
      mkdirSync(this.uploadDir, { recursive: true });
      writeFileSync(join(this.uploadDir, filename), content);
      const result = await this.compileNow();
      const modules = this.dict.modules().filter((m) => names.includes(m.name));
      return { result, modules };
    });
  }

  /**
   * Unpacks a MIB bundle (tar, tar.gz or zip; refused as a whole with MibBundleError), stores its MIB
   * files as `bundles/<name>/` (replacing an earlier bundle of that name) and recompiles, all in the
   * MIB worker. The new dictionary is live when this resolves: traps are named from it at once.
   */
  uploadBundle(filename: string, data: Uint8Array): Promise<{ result: MibCompileResult; report: MibBundleReport }> {
    return this.serial(async () => {
      const input = { opts: this.loaderOptions(), filename, data, limits: this.opts.bundleLimits ?? DEFAULT_BUNDLE_LIMITS };
      this.loadingNow = true;
      try {
        const r = this.opts.worker !== false ? await loadBundleInWorker(input, this.abort.signal) : await loadBundle(input);
        this.install(r.loaded);
        this.shared?.replaceBundle(r.report.bundle, readBundleFiles(this.uploadDir, r.report.bundle), Date.now());
        return { result: r.loaded.result, report: r.report };
      } finally {
        this.loadingNow = false;
      }
    });
  }

  /** Stops a running compile (its worker is terminated) and waits for queued work to settle. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  /** Resolves when no load or upload is running (call before removing the data directory). */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q;
      if (q === this.queue) return;
    }
  }

  /** The stored upload's text, if any (for re-download). */
  uploaded(filename: string): string | null {
    const p = join(this.uploadDir, filename);
    return FILENAME_RE.test(filename) && existsSync(p) ? readFileSync(p, 'utf8') : null;
  }

  /** The first load: a store that cannot be read leaves this node with its own files (logged), not without MIBs. */
  private pullShared(): void {
    if (!this.shared) return;
    try {
      syncSharedMibs(this.uploadDir, this.shared, this.opts.log);
    } catch (err) {
      this.opts.log?.error({ err }, 'MIB uploads could not be read from the shared store; loading this node\'s files');
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private loaderOptions(): Parameters<typeof loadMibs>[0] {
    return {
      projectDir: this.opts.projectDir,
      uploadDir: this.uploadDir,
      extraDirs: this.opts.extraDirs,
      systemDirs: this.opts.systemDirs,
      indexPath: this.indexPath,
    };
  }

  private async runLoad(): Promise<MibLoadResult> {
    const opts = this.loaderOptions();
    if (this.opts.worker !== false) {
      try {
        return await loadMibsInWorker(opts, this.abort.signal);
      } catch (err) {
        if (this.abort.signal.aborted) throw err;
        this.opts.log?.error({ err }, 'MIB compile worker failed; compiling in the main thread');
      }
    }
    await new Promise((r) => setImmediate(r)); // let pending I/O run before the CPU-bound compile
    if (this.abort.signal.aborted) throw new Error('MIB load aborted');
    return loadMibs(opts);
  }

  private async compileNow(): Promise<MibCompileResult> {
    this.loadingNow = true;
    try {
      return this.install(await this.runLoad());
    } finally {
      this.loadingNow = false;
    }
  }

  /** Swaps in the dictionary of a finished load. */
  private install(loaded: MibLoadResult): MibCompileResult {
    const dict = new OidDictionary(loaded.modules, loaded.infos);
    this.dict = dict;
    // Search structures in the background, so the first search is fast and start-up is not slower.
    setImmediate(() => dict.prepareSearch());
    this.last = loaded.result;
    const failed = loaded.infos.filter((m) => m.status === 'error');
    this.opts.log?.info(
      { ...loaded.result, errors: loaded.result.errors.length, failed: failed.map((m) => m.name) },
      `MIBs: ${loaded.result.modulesLoaded} modules, ${loaded.result.nodes} nodes in ${loaded.result.durationMs} ms (${loaded.result.filesCompiled} files compiled)`,
    );
    return loaded.result;
  }
}
