/**
 * The full IETF/IANA MIB set (Debian's snmp-mibs-downloader, installed by
 * .ci/install-mibs.sh) against net-snmp's own parser: every module compiles or
 * is reported with a reason, and a sample of ≥ 200 OIDs agrees with
 * `snmptranslate -Td` (definitions) and numeric -> name translation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MibNode } from '../../../server/contracts/mib.js';
import { loadMibs, type MibLoadResult } from '../../../server/mib/mib.loader.js';
import { OidDictionary } from '../../../server/mib/oid-dictionary.js';
import { MIBS_DIR } from '../../../server/paths.js';

const IETF = '/usr/share/snmp/mibs/ietf';
const IANA = '/usr/share/snmp/mibs/iana';
const MIB_PATH = ['/usr/share/snmp/mibs', IETF, IANA].join(':');

/** net-snmp's SYNTAX words for our base types. */
const BASE_ALIASES: Record<string, string> = { Counter: 'Counter32', Gauge: 'Gauge32', NetworkAddress: 'IpAddress', Unsigned32: 'Unsigned32' };

interface TdBlock {
  label: string;
  oid: string;
  from: string[];
  fields: Map<string, string>;
}

function snmptranslate(args: string[]): string {
  return execFileSync('snmptranslate', ['-M', MIB_PATH, '-m', 'ALL', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
}

function parseTd(text: string): Map<string, TdBlock> {
  const out = new Map<string, TdBlock>();
  let cur: TdBlock | null = null;
  for (const line of text.split('\n')) {
    if (/^[A-Za-z][\w-]*::[A-Za-z][\w-]*$/.test(line)) {
      cur = { label: line, oid: '', from: [], fields: new Map() };
      out.set(line.split('::')[1]!, cur);
      continue;
    }
    if (!cur) continue;
    const from = /^ {2}-- FROM\t(.*)$/.exec(line);
    if (from) cur.from = from[1]!.split(',').map((s) => s.trim());
    const field = /^ {2}([A-Z][A-Z-]*)\t+(.*)$/.exec(line);
    if (field) cur.fields.set(field[1]!, field[2]!.trim());
    if (line.startsWith('::= {')) {
      cur.oid = [...line.matchAll(/(?:\((\d+)\)|\s(\d+)\s*\})/g)].map((m) => m[1] ?? m[2]).join('.');
    }
  }
  return out;
}

/**
 * Where net-snmp itself is wrong, checked by hand against the MIB source:
 * - its tokenizer treats STATUS words as keywords, so an enum label `current(1)` vanishes (TPM-MIB);
 * - `x OBJECT IDENTIFIER ::= { parent 3 0 }` loses an arc (DOCS-IETF-CABLE-DEVICE-NOTIFICATION-MIB);
 * - where a name is defined in several modules (`-- FROM A, B`) it shows the last one's STATUS/ACCESS.
 */
const NETSNMP_KEYWORD_LABELS = new Set(['current', 'deprecated', 'obsolete', 'mandatory', 'optional']);
const oneArcDropped = (ours: string, theirs: string) => {
  const a = ours.split('.');
  return a.some((_, i) => [...a.slice(0, i), ...a.slice(i + 1)].join('.') === theirs);
};

const braceList = (s: string | undefined) => (s ? s.replace(/[{}]/g, '').split(',').map((x) => x.trim().replace(/^IMPLIED\s+/, '')).filter(Boolean) : []);

describe('the IETF/IANA MIB set', () => {
  let dir: string;
  let loaded: MibLoadResult;
  let dict: OidDictionary;

  beforeAll(() => {
    if (!existsSync(IETF) || !existsSync(IANA)) {
      throw new Error(`${IETF} and ${IANA} are missing: install the IETF/IANA MIB set with "bash .ci/install-mibs.sh" (CI does this)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'netwatch-ietf-'));
    loaded = loadMibs({ projectDir: MIBS_DIR, uploadDir: join(dir, 'uploads'), indexPath: join(dir, 'mib-index.json') });
    dict = new OidDictionary(loaded.modules, loaded.infos);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles every module or reports it with a reason', () => {
    expect(loaded.result.modulesLoaded).toBeGreaterThanOrEqual(300);
    expect(loaded.result.nodes).toBeGreaterThan(20_000);
    for (const m of loaded.infos) {
      if (m.status === 'error') {
        expect(m.errors.length, m.name).toBeGreaterThan(0);
        expect(m.errors[0]!.reason, m.name).not.toBe('');
      }
    }
    // The one genuinely broken file in the set (IMPORTS without ";") is reported with its line.
    const dpi = loaded.infos.find((m) => m.name === 'DPI20-MIB');
    expect(dpi).toMatchObject({ status: 'error' });
    expect(dpi!.errors[0]!.line).toBeGreaterThan(0);
    const failed = loaded.infos.filter((m) => m.status === 'error').map((m) => m.name);
    expect(failed.length, `failed: ${failed.join(', ')}`).toBeLessThanOrEqual(3);
    for (const must of ['IF-MIB', 'IP-MIB', 'ENTITY-MIB', 'BRIDGE-MIB', 'Q-BRIDGE-MIB', 'RMON2-MIB', 'HOST-RESOURCES-MIB', 'IANAifType-MIB']) {
      expect(loaded.infos.find((m) => m.name === must)?.status ?? 'missing', must).not.toBe('error');
    }
  });

  it('agrees with snmptranslate on a sample of at least 200 OIDs', () => {
    const fromSet = (n: MibNode) => {
      const file = loaded.modules.find((m) => m.name === n.module)?.file ?? '';
      return file.startsWith(IETF) || file.startsWith(IANA);
    };
    const preferred = loaded.modules
      .flatMap((m) => m.nodes)
      .filter((n) => dict.node(n.oid) === n && fromSet(n) && n.kind !== 'node')
      .sort((a, b) => (a.oid < b.oid ? -1 : 1));
    const seen = new Set<string>();
    const step = Math.max(1, Math.floor(preferred.length / 260));
    const sample = preferred.filter((n, i) => i % step === 0 && !seen.has(n.name) && seen.add(n.name));
    expect(sample.length).toBeGreaterThanOrEqual(200);

    // Definitions: one snmptranslate -Td for the whole sample.
    const td = parseTd(snmptranslate(['-Td', ...sample.map((n) => `${n.module}::${n.name}`)]));
    const mismatches: string[] = [];
    const unknown: string[] = [];
    let compared = 0;
    for (const n of sample) {
      const b = td.get(n.name);
      if (!b) {
        unknown.push(`${n.module}::${n.name}`);
        continue;
      }
      compared++;
      const diff = (what: string, ours: unknown, theirs: unknown) => mismatches.push(`${n.module}::${n.name} ${what}: ours ${JSON.stringify(ours)}, snmptranslate ${JSON.stringify(theirs)}`);
      if (b.oid !== n.oid && !oneArcDropped(n.oid, b.oid)) diff('OID', n.oid, b.oid);
      if (!b.from.includes(n.module)) diff('module', n.module, b.from);
      const f = b.fields;
      const single = b.from.length === 1;
      if (single && (f.get('MAX-ACCESS') ?? f.get('ACCESS') ?? null) !== (n.kind === 'notification' || n.kind === 'group' ? null : n.access)) diff('access', n.access, f.get('MAX-ACCESS'));
      if (single && f.has('STATUS') && f.get('STATUS') !== n.status) diff('status', n.status, f.get('STATUS'));
      const syntax = f.get('SYNTAX');
      if (syntax && n.baseType && n.baseType !== 'SEQUENCE OF') {
        const theirs = /^(OCTET STRING|OBJECT IDENTIFIER|[A-Za-z0-9]+)/.exec(syntax)?.[1];
        const ours = BASE_ALIASES[n.baseType] ?? n.baseType;
        if (theirs !== ours && !(ours === 'Unsigned32' && theirs === 'Gauge32')) diff('base type', ours, syntax);
        const labels = [...syntax.matchAll(/([A-Za-z][\w-]*)\((\d+)\)/g)].map((m) => `${m[1]}(${m[2]})`).sort();
        const ourLabels = Object.entries(n.enums ?? {})
          .filter(([, v]) => !NETSNMP_KEYWORD_LABELS.has(v))
          .map(([k, v]) => `${v}(${k})`)
          .sort();
        if (labels.join() !== ourLabels.join()) diff('enums', ourLabels, labels);
      }
      if (f.has('DISPLAY-HINT') && f.get('DISPLAY-HINT') !== `"${n.displayHint}"`) diff('display hint', n.displayHint, f.get('DISPLAY-HINT'));
      if (f.has('INDEX') && braceList(f.get('INDEX')).join() !== (n.index ?? []).map((p) => p.name).join()) diff('INDEX', n.index, f.get('INDEX'));
      if (f.has('AUGMENTS') && braceList(f.get('AUGMENTS'))[0] !== n.augments) diff('AUGMENTS', n.augments, f.get('AUGMENTS'));
      const objects = f.get('OBJECTS') ?? f.get('VARIABLES') ?? f.get('NOTIFICATIONS');
      if (objects && braceList(objects).join() !== (n.objects ?? []).join()) diff('OBJECTS', n.objects, objects);
    }
    expect(mismatches, mismatches.slice(0, 20).join('\n')).toEqual([]);
    expect(compared, `snmptranslate did not know: ${unknown.join(', ')}`).toBeGreaterThanOrEqual(200);

    // Numeric -> name, with an instance suffix kept.
    const numeric = sample.slice(0, 250).map((n) => `.${n.oid}.7`);
    const names = snmptranslate(['-Ob', ...numeric]).split('\n').filter((l) => l.trim());
    expect(names.length).toBe(numeric.length);
    const nameDiffs: string[] = [];
    numeric.forEach((oid, i) => {
      const ours = dict.resolve(oid);
      const theirs = names[i]!;
      if (ours.label.split('::')[1] !== theirs.split('::')[1]) nameDiffs.push(`${oid}: ours ${ours.label}, snmptranslate ${theirs}`);
    });
    expect(nameDiffs, nameDiffs.slice(0, 20).join('\n')).toEqual([]);
  }, 120_000);
});
