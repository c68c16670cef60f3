import { createHash } from 'node:crypto';
import type { Db } from './database.js';
import { textOrder } from './sql-portable.js';

/** One uploaded MIB file as the store lists it: without its content (read with `content`). */
export interface StoredMibFileInfo {
  /** A single upload's file name, or `bundles/<bundle>/<file>`. */
  path: string;
  /** The bundle it came in, or null for a single upload. */
  bundle: string | null;
  /** Hex SHA-256 of the content. */
  sha256: string;
  uploadedAt: number;
}

interface InfoRow {
  path: string;
  bundle: string | null;
  sha256: string;
  uploaded_at: number;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Uploaded MIB files kept in the store (migration 0023), so that the central nodes sharing one store
 * write the same files into their `<dataDir>/mibs/` (see MibService.syncShared).
 */
export class MibUploadRepository {
  private readonly stmts;
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
    this.stmts = {
      list: db.prepare<[], InfoRow>(`SELECT path, bundle, sha256, uploaded_at FROM mib_uploads ORDER BY path${textOrder(db)}`),
      content: db.prepare<[string], { content: Buffer }>('SELECT content FROM mib_uploads WHERE path = ?'),
      put: db.prepare<[string, string | null, string, Buffer, number]>(
        `INSERT INTO mib_uploads (path, bundle, sha256, content, uploaded_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET bundle = excluded.bundle, sha256 = excluded.sha256, content = excluded.content, uploaded_at = excluded.uploaded_at`,
      ),
      deleteBundle: db.prepare<[string]>('DELETE FROM mib_uploads WHERE bundle = ?'),
    };
  }

  /** Stores (or replaces) a single uploaded file. */
  putFile(filename: string, content: Buffer, at: number): void {
    this.stmts.put.run(filename, null, sha256Hex(content), content, at);
  }

  /** Replaces every file of bundle `name` with `files` (stored names inside the bundle), in one transaction. */
  replaceBundle(name: string, files: ReadonlyArray<{ file: string; content: Buffer }>, at: number): void {
    this.db.transaction(() => {
      this.stmts.deleteBundle.run(name);
      for (const f of files) this.stmts.put.run(`bundles/${name}/${f.file}`, name, sha256Hex(f.content), f.content, at);
    })();
  }

  /** Every stored file, by path, without content. */
  list(): StoredMibFileInfo[] {
    return this.stmts.list.all().map((r) => ({ path: r.path, bundle: r.bundle, sha256: r.sha256, uploadedAt: Number(r.uploaded_at) }));
  }

  /** A stored file's bytes, or null if it is gone (replaced by another node meanwhile). */
  content(path: string): Buffer | null {
    return this.stmts.content.get(path)?.content ?? null;
  }
}
