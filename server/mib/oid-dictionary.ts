/**
 * The OID dictionary: pure, in memory. Numeric OIDs resolve by longest known
 * prefix (keeping the instance suffix); names resolve qualified or bare;
 * search ranks exact name > prefix > substring > description words.
 */
import type { MibModuleInfo, MibNode, MibSearchHit, MibTreeChild, NameCandidates, ResolvedOid } from '../contracts/mib.js';
import type { CompiledModule } from './mib-types.js';

export type NameResolution =
  | { found: true; node: MibNode; instance: string; oid: string; label: string }
  | { found: false; ambiguous: NameCandidates | null };

/** Built on first use (or by `prepareSearch()` after a load): lowercase names and descriptions. */
interface SearchIndex {
  names: string[];
  /** Every description, lowercased, joined by newlines (one `indexOf` scans them all). */
  text: string;
  /** Where each entry's description starts in `text`. */
  starts: Int32Array;
}

const ROOT_NAMES: Record<string, string> = { '0': 'ccitt', '1': 'iso', '2': 'joint-iso-ccitt' };

const OID_RE = /^\.?\d+(\.\d+)*$/;

export class OidDictionary {
  private readonly byOid = new Map<string, MibNode>();
  private readonly byQualified = new Map<string, MibNode>();
  private readonly byName = new Map<string, MibNode[]>();
  private readonly childArcs = new Map<string, Set<number>>();
  private readonly entries: MibNode[] = [];
  private searchIndex: SearchIndex | null = null;
  private readonly smiV2 = new Set<string>();

  constructor(
    modules: CompiledModule[] = [],
    private readonly moduleInfos: MibModuleInfo[] = [],
  ) {
    for (const m of modules) if (m.smiV2) this.smiV2.add(m.name);
    for (const m of modules) for (const n of m.nodes) this.add(n);
    this.childArcs.set('', new Set());
    for (const oid of this.byOid.keys()) this.linkAncestors(oid);
  }

  get size(): number {
    return this.byQualified.size;
  }

  private add(n: MibNode): void {
    this.byQualified.set(`${n.module}::${n.name}`, n);
    const same = this.byName.get(n.name);
    if (same) same.push(n);
    else this.byName.set(n.name, [n]);
    this.entries.push(n);
    const cur = this.byOid.get(n.oid);
    if (!cur || this.prefer(n, cur)) this.byOid.set(n.oid, n);
  }

  /** Which of two nodes at one OID names it: SMIv2 over SMIv1, then a typed node over a bare OID assignment. */
  private prefer(a: MibNode, b: MibNode): boolean {
    const v2a = this.smiV2.has(a.module);
    const v2b = this.smiV2.has(b.module);
    if (v2a !== v2b) return v2a;
    return a.kind !== 'node' && b.kind === 'node';
  }

  private linkAncestors(oid: string): void {
    let child = oid;
    for (;;) {
      const dot = child.lastIndexOf('.');
      const parent = dot < 0 ? '' : child.slice(0, dot);
      const arc = Number(child.slice(dot + 1));
      let set = this.childArcs.get(parent);
      const known = set !== undefined;
      if (!set) this.childArcs.set(parent, (set = new Set()));
      set.add(arc);
      if (known || parent === '') return;
      child = parent;
    }
  }

  node(oid: string): MibNode | undefined {
    return this.byOid.get(oid);
  }

  /** Longest known prefix of a numeric OID, keeping the rest as the instance. */
  resolve(numericOid: string): ResolvedOid {
    const oid = numericOid.startsWith('.') ? numericOid.slice(1) : numericOid;
    let prefix = oid;
    for (;;) {
      const node = this.byOid.get(prefix);
      if (node) {
        const instance = prefix.length === oid.length ? '' : oid.slice(prefix.length + 1);
        return { oid, node, instance, label: `${node.module}::${node.name}${instance ? `.${instance}` : ''}` };
      }
      const dot = prefix.lastIndexOf('.');
      if (dot < 0) return { oid, node: null, instance: '', label: oid };
      prefix = prefix.slice(0, dot);
    }
  }

  /** `IF-MIB::ifInOctets`, `ifInOctets`, `IF-MIB::ifInOctets.3` or `ifInOctets.3`. */
  resolveName(input: string): NameResolution {
    const text = input.trim();
    const sep = text.indexOf('::');
    const module = sep >= 0 ? text.slice(0, sep) : null;
    const rest = sep >= 0 ? text.slice(sep + 2) : text;
    const m = /^([A-Za-z][\w-]*)((?:\.\d+)*)$/.exec(rest);
    if (!m) return { found: false, ambiguous: null };
    const name = m[1]!;
    const instance = m[2] ? m[2].slice(1) : '';
    let node: MibNode | undefined;
    if (module) node = this.byQualified.get(`${module}::${name}`);
    else {
      const all = this.byName.get(name) ?? [];
      const distinct = new Map(all.map((n) => [n.oid, n]));
      if (distinct.size > 1) {
        // An SMIv1 and an SMIv2 definition of one thing (e.g. a TRAP-TYPE and its NOTIFICATION-TYPE): the SMIv2 one.
        const v2 = [...distinct.values()].filter((n) => this.smiV2.has(n.module));
        if (v2.length !== 1) return { found: false, ambiguous: { name, candidates: all } };
        distinct.clear();
        distinct.set(v2[0]!.oid, v2[0]!);
      }
      // Same name at the same OID in several modules (e.g. RFC1213-MIB and IF-MIB): one meaning.
      const only = [...distinct.values()][0];
      if (only) node = this.byOid.get(only.oid) ?? only;
    }
    if (!node) return { found: false, ambiguous: null };
    const oid = instance ? `${node.oid}.${instance}` : node.oid;
    return { found: true, node, instance, oid, label: `${node.module}::${node.name}${instance ? `.${instance}` : ''}` };
  }

  /** Numeric OID or name, as the API accepts it. */
  lookup(oidOrName: string): NameResolution {
    if (OID_RE.test(oidOrName.trim())) {
      const r = this.resolve(oidOrName.trim());
      if (!r.node) return { found: false, ambiguous: null };
      return { found: true, node: r.node, instance: r.instance, oid: r.oid, label: r.label };
    }
    return this.resolveName(oidOrName);
  }

  /** Builds the search structures now rather than on the first search. */
  prepareSearch(): void {
    if (this.searchIndex) return;
    const starts = new Int32Array(this.entries.length);
    const parts: string[] = [];
    let at = 0;
    this.entries.forEach((n, i) => {
      starts[i] = at;
      const d = n.description ?? '';
      parts.push(d);
      at += d.length + 1;
    });
    this.searchIndex = { names: this.entries.map((n) => n.name.toLowerCase()), text: parts.join('\n').toLowerCase(), starts };
  }

  /** Marks entries whose description contains `w` (words of 3+ characters; shorter ones match names only). */
  private descriptionMatches(idx: SearchIndex, w: string, into: Uint8Array, bit: number): void {
    if (w.length < 3) return;
    const { text, starts } = idx;
    let pos = text.indexOf(w);
    while (pos >= 0) {
      // The entry whose description holds `pos`: the last start <= pos.
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= pos) lo = mid;
        else hi = mid - 1;
      }
      into[lo]! |= bit;
      const next = lo + 1 < starts.length ? starts[lo + 1]! : text.length;
      pos = text.indexOf(w, next);
    }
  }

  /** Ranked search: exact name > name prefix > name substring > every word in the name or description. */
  search(q: string, limit = 50): MibSearchHit[] {
    const query = q.trim().toLowerCase();
    if (!query) return [];
    this.prepareSearch();
    const idx = this.searchIndex!;
    const words = query.split(/\s+/).filter(Boolean).slice(0, 8);
    const single = words.length === 1;
    // Bit i set = word i found in the name or description of that entry.
    const seen = new Uint8Array(this.entries.length);
    words.forEach((w, i) => this.descriptionMatches(idx, w, seen, 1 << i));
    const all = (1 << words.length) - 1;
    const hits: MibSearchHit[] = [];
    for (let i = 0; i < idx.names.length; i++) {
      const name = idx.names[i]!;
      let score = 0;
      if (single && name === query) score = 1000;
      else if (single && name.startsWith(query)) score = 800 - Math.min(name.length, 200);
      else if (single && name.includes(query)) score = 600 - Math.min(name.length, 200);
      else {
        let found = seen[i]!;
        let inName = 0;
        for (let k = 0; k < words.length; k++) {
          if (name.includes(words[k]!)) {
            found |= 1 << k;
            inName++;
          }
        }
        if (found === all) score = 100 + 20 * inName; // words in the name weigh more than in the description
      }
      if (score === 0) continue;
      const node = this.entries[i]!;
      // One hit per OID: the definition that names it (IF-MIB's ifInOctets, not RFC1213-MIB's too).
      if (this.byOid.get(node.oid) !== node) continue;
      hits.push({ node, score });
    }
    const cmp = (a: MibSearchHit, b: MibSearchHit) =>
      b.score - a.score || a.node.name.length - b.node.name.length || (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : a.node.module < b.node.module ? -1 : 1);
    // Only the best `limit` are sorted in full: cut at the limit-th score first.
    if (hits.length > limit * 4) {
      const cut = hits.map((h) => h.score).sort((x, y) => y - x)[limit - 1]!;
      return hits.filter((h) => h.score >= cut).sort(cmp).slice(0, limit);
    }
    return hits.sort(cmp).slice(0, limit);
  }

  /** Direct children of an OID ('' for the roots), with the node naming each when known. */
  children(oid: string): MibTreeChild[] {
    const parent = oid.startsWith('.') ? oid.slice(1) : oid;
    const arcs = this.childArcs.get(parent);
    if (!arcs) return [];
    return [...arcs]
      .sort((a, b) => a - b)
      .map((arc) => {
        const child = parent ? `${parent}.${arc}` : String(arc);
        const n = this.byOid.get(child);
        return { oid: child, name: n?.name ?? ROOT_NAMES[child] ?? null, module: n?.module ?? null, kind: n?.kind ?? null, hasChildren: this.childArcs.has(child) };
      });
  }

  modules(): MibModuleInfo[] {
    return this.moduleInfos;
  }
}
