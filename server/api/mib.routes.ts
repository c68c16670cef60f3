import express, { type Router } from 'express';
import { z } from 'zod';
import { MibBundleError } from '../mib/mib-bundle.js';
import type { MibService } from '../mib/mib.service.js';
import { MibUploadError } from '../mib/mib.service.js';
import { AppError, NotFoundError, ValidationError } from './errors.js';
import type { ApiRegistry } from './registry.js';

export interface MibRoutesDeps {
  /** Called after an upload changed the dictionary (the rule engine recompiles). */
  onChange?: () => void;
  mibs: MibService;
  /** Largest bundle accepted (bytes as sent); the raw body parser refuses more with 413. */
  bundleMaxBytes?: number;
}

/** The one API path whose body is raw bytes (`application/octet-stream`), not JSON. */
export const MIB_BUNDLE_PATH = '/mibs/bundle';

const bundleQuery = z.object({
  filename: z.string().trim().min(1, 'name the archive (?filename=vendor-mibs.tar.gz)').max(200),
});

class BundleRefusedError extends AppError {
  constructor(err: MibBundleError) {
    super(err.status, err.status === 413 ? 'payload_too_large' : err.status === 415 ? 'unsupported_media_type' : 'validation_failed', err.message);
  }
}

const searchQuery = z.object({
  q: z.string().trim().min(1, 'type something to search for').max(200),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const uploadBody = z.object({
  filename: z.string().min(1).max(128),
  content: z.string().min(1).max(900_000),
});

const NUMERIC = /^\.?\d+(\.\d+)*$/;

export function registerMibRoutes(api: ApiRegistry, router: Router | undefined, { mibs, onChange, bundleMaxBytes }: MibRoutesDeps): void {
  const tag = 'mibs';

  api.add(
    { method: 'get', path: '/oids', summary: 'Search OIDs by name and description (ranked)', tag, access: 'viewer', query: searchQuery, response: '{items: {node, score}[]}' },
    ({ query }) => ({ items: mibs.dictionary.search(query.q, query.limit), loading: mibs.loading }),
  );

  api.add(
    { method: 'get', path: '/oids/:oidOrName', summary: 'Resolve a numeric OID (longest prefix, instance kept) or a name (MODULE::name, bare name, .instance)', tag, access: 'viewer', response: '{found, oid, instance, label, node} or {found: false, ambiguous: true, candidates}' },
    ({ params }) => {
      const input = params.oidOrName ?? '';
      const r = mibs.dictionary.lookup(input);
      if (r.found) return { found: true, oid: r.oid, instance: r.instance, label: r.label, node: r.node };
      if (r.ambiguous) return { found: false, ambiguous: true, name: r.ambiguous.name, candidates: r.ambiguous.candidates };
      throw new NotFoundError(mibs.loading ? `"${input}" is not known (MIBs are still loading)` : `"${input}" is not in the loaded MIBs`);
    },
  );

  api.add(
    { method: 'get', path: '/oids/:oid/children', summary: "Direct children of an OID or name ('root' for the top)", tag, access: 'viewer', response: '{oid, node, items: MibTreeChild[]}' },
    ({ params }) => {
      const input = params.oid ?? '';
      let oid: string;
      if (input === 'root') oid = '';
      else if (NUMERIC.test(input)) oid = input.replace(/^\./, '');
      else {
        const r = mibs.dictionary.resolveName(input);
        if (!r.found) throw new NotFoundError(`"${input}" is not in the loaded MIBs`);
        oid = r.oid;
      }
      return { oid, node: oid ? (mibs.dictionary.node(oid) ?? null) : null, items: mibs.dictionary.children(oid) };
    },
  );

  api.add({ method: 'get', path: '/mibs', summary: 'Loaded MIB modules with their status and errors', tag, access: 'viewer', response: '{loading, result, items: MibModuleInfo[]}' }, () => ({
    loading: mibs.loading,
    result: mibs.lastResult,
    items: mibs.dictionary.modules(),
  }));

  api.add(
    { method: 'post', path: '/mibs', summary: 'Upload a MIB file ({filename, content}); compiled with what it imports, result returned', tag, access: 'admin', body: uploadBody, status: 201, response: '{result: MibCompileResult, modules: MibModuleInfo[]}', audit: { object: 'mib', action: 'upload', objectId: ({ body }) => (body as { filename: string }).filename } },
    async ({ body }) => {
      try {
        const result = await mibs.upload(body.filename, body.content);
        // Rules naming objects of the new module compile now.
        onChange?.();
        return result;
      } catch (err) {
        if (err instanceof MibUploadError) throw new ValidationError(err.message, { line: err.line });
        throw err;
      }
    },
  );

  // Raw archive bytes; the cross-site check lets only this path's octet-stream bodies through.
  router?.use(MIB_BUNDLE_PATH, express.raw({ type: 'application/octet-stream', limit: bundleMaxBytes ?? 64 * 1024 ** 2 }));
  api.add(
    {
      method: 'post', path: MIB_BUNDLE_PATH, tag, access: 'admin', query: bundleQuery, status: 201,
      summary: 'Upload a vendor MIB bundle (.tar.gz/.tgz/.tar/.zip, raw bytes as application/octet-stream, ?filename=): unpacked in memory with limits, compiled in the MIB worker, one report returned',
      response: '{result: MibCompileResult, report: MibBundleReport}',
      audit: { object: 'mib', action: 'upload-bundle', objectId: ({ result }) => (result as { report?: { bundle: string } } | undefined)?.report?.bundle ?? null },
    },
    async ({ req, query }) => {
      const data = Buffer.isBuffer(req.body) ? req.body : null;
      if (!data || data.length === 0) throw new ValidationError('send the archive as the request body, with Content-Type: application/octet-stream');
      try {
        const out = await mibs.uploadBundle(query.filename, data);
        onChange?.();
        return out;
      } catch (err) {
        if (err instanceof MibBundleError) throw new BundleRefusedError(err);
        throw err;
      }
    },
  );
}
