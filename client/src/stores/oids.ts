import { reactive, ref } from 'vue';
import { defineStore } from 'pinia';
import type { MibBundleReport, MibCompileResult, MibModuleInfo, MibNode, MibSearchHit, MibTreeChild } from '@contracts/mib';
import { api, ApiError } from '@/api/client';

/** One varbind of the MIB browser (`POST /devices/:id/snmp`). */
export interface BrowseVarbind {
  oid: string;
  name: string | null;
  instance: string;
  label: string;
  type: string;
  value: number | string | boolean | null;
  formatted: string;
}

export interface BrowseResult {
  varbinds: BrowseVarbind[];
  truncated: boolean;
  error?: { kind: string; message: string };
}

export interface BundleUploadResult {
  result: MibCompileResult;
  report: MibBundleReport;
}

export interface UploadResult {
  result: MibCompileResult;
  modules: MibModuleInfo[];
}

/**
 * The OID dictionary as the console sees it: search, the lazily loaded tree,
 * the selected node, the module list, uploads and MIB browser requests.
 */
export const useOidsStore = defineStore('oids', () => {
  // Search: only the answer to the latest query is kept.
  const query = ref('');
  const hits = ref<MibSearchHit[]>([]);
  const searching = ref(false);
  const searchError = ref<string | null>(null);
  /** True while the server is still loading its MIBs (search answers may be incomplete). */
  const dictionaryLoading = ref(false);
  let searchSeq = 0;

  async function search(q: string): Promise<void> {
    const seq = ++searchSeq;
    query.value = q;
    if (!q.trim()) {
      hits.value = [];
      searching.value = false;
      searchError.value = null;
      return;
    }
    searching.value = true;
    try {
      const r = await api.get<{ items: MibSearchHit[]; loading: boolean }>(`/oids?q=${encodeURIComponent(q.trim())}&limit=100`);
      if (seq !== searchSeq) return;
      hits.value = r.items;
      dictionaryLoading.value = r.loading;
      searchError.value = null;
    } catch (err) {
      if (seq !== searchSeq) return;
      hits.value = [];
      searchError.value = err instanceof ApiError ? err.message : 'Search failed';
    } finally {
      if (seq === searchSeq) searching.value = false;
    }
  }

  // Tree: children by parent OID ('' = the roots), loaded on first expand.
  const children = reactive(new Map<string, MibTreeChild[]>());
  const expanded = reactive(new Set<string>());
  const treeLoading = reactive(new Set<string>());
  const treeError = ref<string | null>(null);

  async function loadChildren(oid: string): Promise<void> {
    if (children.has(oid) || treeLoading.has(oid)) return;
    treeLoading.add(oid);
    try {
      const r = await api.get<{ items: MibTreeChild[] }>(`/oids/${oid || 'root'}/children`);
      children.set(oid, r.items);
      treeError.value = null;
    } catch (err) {
      treeError.value = err instanceof ApiError ? err.message : 'Could not load the tree';
    } finally {
      treeLoading.delete(oid);
    }
  }

  async function toggle(oid: string): Promise<void> {
    if (expanded.has(oid)) {
      expanded.delete(oid);
      return;
    }
    expanded.add(oid);
    await loadChildren(oid);
  }

  /**
   * Opens the tree down to `oid` (loading each ancestor's children), so a node
   * chosen from search or a link is shown in place. Stops where the tree has
   * no such arc (an OID the MIBs do not define).
   */
  async function reveal(oid: string): Promise<void> {
    const arcs = oid.split('.');
    await loadChildren('');
    for (let i = 1; i < arcs.length; i++) {
      const parent = arcs.slice(0, i).join('.');
      const siblings = children.get(i === 1 ? '' : arcs.slice(0, i - 1).join('.')) ?? [];
      if (!siblings.some((c) => c.oid === parent)) return;
      expanded.add(parent);
      await loadChildren(parent);
      if (selectedOid.value !== oid) return; // the user moved on
    }
  }

  // The selected node, as the details panel shows it.
  const selected = ref<MibNode | null>(null);
  const selectedOid = ref<string | null>(null);
  const detailError = ref<string | null>(null);

  async function select(oid: string, known?: MibNode): Promise<void> {
    selectedOid.value = oid;
    detailError.value = null;
    void reveal(oid);
    if (known) {
      selected.value = known;
      return;
    }
    try {
      const r = await api.get<{ found: boolean; node: MibNode | null }>(`/oids/${encodeURIComponent(oid)}`);
      if (selectedOid.value !== oid) return;
      selected.value = r.node && r.node.oid === oid ? r.node : null;
      if (!selected.value) detailError.value = `${oid} has no definition of its own in the loaded MIBs`;
    } catch (err) {
      if (selectedOid.value !== oid) return;
      selected.value = null;
      detailError.value =
        err instanceof ApiError && err.status === 404 ? `${oid} has no definition of its own in the loaded MIBs` : err instanceof ApiError ? err.message : 'Could not load this OID';
    }
  }

  /** The node an OID or name stands for (its definition, not an instance), or null. */
  async function find(oidOrName: string): Promise<MibNode | null> {
    try {
      const r = await api.get<{ found: boolean; node?: MibNode | null }>(`/oids/${encodeURIComponent(oidOrName)}`);
      return r.found && r.node ? r.node : null;
    } catch {
      return null;
    }
  }

  // Modules.
  const modules = ref<MibModuleInfo[]>([]);
  const lastCompile = ref<MibCompileResult | null>(null);
  const modulesLoaded = ref(false);

  async function loadModules(): Promise<void> {
    const r = await api.get<{ loading: boolean; result: MibCompileResult | null; items: MibModuleInfo[] }>('/mibs');
    modules.value = [...r.items].sort((a, b) => a.name.localeCompare(b.name));
    lastCompile.value = r.result;
    dictionaryLoading.value = r.loading;
    modulesLoaded.value = true;
  }

  /** Uploads one MIB file; the tree and module list are reloaded since the dictionary changed. */
  async function upload(filename: string, content: string): Promise<UploadResult> {
    const r = await api.post<UploadResult>('/mibs', { filename, content });
    children.clear();
    expanded.clear();
    await Promise.all([loadModules(), loadChildren(''), query.value ? search(query.value) : Promise.resolve()]);
    return r;
  }

  /** Uploads a MIB bundle (tar, tar.gz, zip) as raw bytes; the dictionary views reload as after `upload`. */
  async function uploadBundle(filename: string, data: Blob): Promise<BundleUploadResult> {
    const r = await api.postBytes<BundleUploadResult>(`/mibs/bundle?filename=${encodeURIComponent(filename)}`, data);
    children.clear();
    expanded.clear();
    await Promise.all([loadModules(), loadChildren(''), query.value ? search(query.value) : Promise.resolve()]);
    return r;
  }

  function browse(deviceId: number, op: 'get' | 'walk', oid: string, maxVarbinds: number): Promise<BrowseResult> {
    return api.post<BrowseResult>(`/devices/${deviceId}/snmp`, { op, oid, maxVarbinds });
  }

  return {
    query,
    hits,
    searching,
    searchError,
    dictionaryLoading,
    search,
    children,
    expanded,
    treeLoading,
    treeError,
    loadChildren,
    toggle,
    reveal,
    selected,
    selectedOid,
    detailError,
    select,
    find,
    modules,
    lastCompile,
    modulesLoaded,
    loadModules,
    upload,
    uploadBundle,
    browse,
  };
});
