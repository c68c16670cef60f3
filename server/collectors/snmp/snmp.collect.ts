import type { CustomOidSample, PollResult, PollSection, SectionError } from '../../contracts/poll.js';
import type { DeviceSession, SnmpClient, SnmpTarget } from './snmp.client.js';
import { classifySnmpError, SnmpError } from './snmp.errors.js';
import {
  customValue,
  HOST_COLUMNS,
  interfaceColumns,
  NEIGHBOUR_COLUMNS,
  parseHost,
  parseInterfaces,
  parseNeighbours,
  parseSystem,
  parseUcd,
  UCD_OIDS,
  type Columns,
} from './snmp.parse.js';
import { SYS } from './snmp.oids.js';
import type { TemplateRequest } from '../../contracts/templates.js';
import { readTemplates } from './snmp.templates.js';

export interface CollectOptions {
  /** Numeric OIDs to read as metrics (GET; must end in an instance, e.g. `.0`). */
  customOids?: string[];
  /** Sections to skip (default: collect everything the agent has). */
  skip?: PollSection[];
  /** Collection templates to read in this poll (server/templates). */
  templates?: TemplateRequest;
  /** Clock for `startedAt` (tests). */
  now?: () => number;
}

const NUMERIC_OID = /^\.?\d+(\.\d+)+$/;
const sectionError = (e: unknown): SectionError => {
  const err = classifySnmpError(e);
  return { kind: err.kind, message: err.message };
};

/**
 * Polls one device: system group first (if it fails the device is
 * unreachable/unauthorised and nothing else is tried), then interfaces,
 * then HOST-RESOURCES/LLDP/CDP columns in one combined walk, then UCD
 * scalars and custom OIDs in one GET. A failing section is recorded in
 * `errors` and the others still run; after a timeout the rest is skipped.
 * Never throws.
 */
export async function collectDevice(client: SnmpClient, target: SnmpTarget, opts: CollectOptions = {}): Promise<PollResult> {
  const now = opts.now ?? Date.now;
  const t0 = performance.now();
  const result: PollResult = {
    address: target.address,
    startedAt: now(),
    durationMs: 0,
    ok: false,
    error: null,
    system: null,
    interfaces: null,
    host: null,
    ucd: null,
    neighbours: null,
    custom: null,
    errors: {},
    requests: 0,
  };
  const skip = new Set(opts.skip ?? []);
  let session: DeviceSession | undefined;
  const finish = () => {
    result.durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
    result.requests = session ? session.requests - startRequests : 0;
    return result;
  };
  let startRequests = 0;
  try {
    session = await client.open(target);
    startRequests = session.requests;
    result.system = parseSystem(await session.get(Object.values(SYS)));
    if (result.system.sysUpTimeCs === null && result.system.sysName === null && result.system.sysObjectID === null) {
      throw new SnmpError('noSuchObject', 'agent has no system group');
    }
    result.ok = true;
  } catch (e) {
    result.error = sectionError(e);
    result.errors.system = result.error;
    return finish();
  }
  const s = session;
  let dead = false;
  const run = async (section: PollSection | PollSection[], fn: () => Promise<void>) => {
    const names = Array.isArray(section) ? section : [section];
    if (names.every((n) => skip.has(n))) return;
    if (dead) {
      for (const n of names) result.errors[n] = { kind: 'timeout', message: 'skipped: device stopped answering during this poll' };
      return;
    }
    try {
      await fn();
    } catch (e) {
      const err = sectionError(e);
      for (const n of names) result.errors[n] = err;
      if (err.kind === 'timeout' || err.kind === 'authFailure') dead = true;
    }
  };

  await run('interfaces', async () => {
    const ifs = parseInterfaces(await s.walkColumns(interfaceColumns(target.snmp.version)));
    result.interfaces = ifs.length ? ifs : null;
  });

  // HOST-RESOURCES, LLDP and CDP columns in one combined walk: absent tables end at once.
  const extra: string[] = [];
  if (!skip.has('host')) extra.push(...HOST_COLUMNS);
  if (!skip.has('lldp') || !skip.has('cdp')) extra.push(...NEIGHBOUR_COLUMNS);
  let cols: Columns | undefined;
  if (extra.length) {
    await run(['host', 'lldp', 'cdp'], async () => {
      cols = await s.walkColumns(extra);
    });
  }
  if (cols) {
    const c = cols;
    await run('host', async () => {
      if (!skip.has('host')) result.host = parseHost(c);
    });
    await run(['lldp', 'cdp'], async () => {
      const names = new Map((result.interfaces ?? []).map((i) => [i.ifIndex, i.name]));
      const n = parseNeighbours(c, names);
      result.neighbours = n?.filter((x) => !skip.has(x.protocol)) ?? null;
      if (result.neighbours?.length === 0) result.neighbours = null;
    });
  }

  const custom = (opts.customOids ?? []).filter((o) => !skip.has('custom'));
  const bad = custom.filter((o) => !NUMERIC_OID.test(o));
  const good = custom.filter((o) => NUMERIC_OID.test(o)).map((o) => o.replace(/^\./, ''));
  const scalars = [...(skip.has('ucd') ? [] : UCD_OIDS), ...good];
  if (scalars.length) {
    await run(['ucd', 'custom'], async () => {
      const vbs = await s.get(scalars);
      const at = new Map(vbs.map((v) => [v.oid, v]));
      if (!skip.has('ucd')) result.ucd = parseUcd(vbs);
      if (good.length || bad.length) {
        const out: CustomOidSample[] = good.map((oid) => {
          const { value, missing } = customValue(at.get(oid));
          if (missing) return { oid, value: null, error: { kind: 'noSuchObject', message: `agent has no ${oid}` } };
          if (value === null) return { oid, value: null, error: { kind: 'other', message: `${oid} is not numeric` } };
          return { oid, value };
        });
        for (const oid of bad) out.push({ oid, value: null, error: { kind: 'other', message: `not a numeric OID: ${oid}` } });
        result.custom = out;
      }
    });
    if (result.errors.custom && !result.custom) {
      result.custom = custom.map((oid) => ({ oid, value: null, error: result.errors.custom }));
    }
  }
  if (opts.templates && opts.templates.templates.length) {
    result.templates = dead
      ? { applied: [], columns: [], scalars: [], error: 'skipped: device stopped answering during this poll' }
      : await readTemplates(s, opts.templates, result.system);
  }
  return finish();
}
