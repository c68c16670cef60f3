import { computed, reactive, ref } from 'vue';
import { defineStore } from 'pinia';
import type { CollectorDto } from '@contracts/collectors';
import { api } from '@/api/client';
import { onConnectionState, onServerEvent } from '@/realtime/socket';

/**
 * Remote collectors (GET /collectors), kept live by `collector.changed` (every heartbeat,
 * every up/down, every removal), and the sites a device can be assigned to (GET /sites).
 */
export const useCollectorsStore = defineStore('collectors', () => {
  const byId = reactive(new Map<string, CollectorDto>());
  const loaded = ref(false);
  const ownSite = ref('central');
  const siteList = ref<string[]>([]);
  let generation = 0;

  const items = computed(() => [...byId.values()].sort((a, b) => a.site.localeCompare(b.site) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id)));
  /** The centre's own site first, then every other known one. */
  const sites = computed(() => [...new Set([ownSite.value, ...siteList.value, ...items.value.map((c) => c.site)])]);

  async function load(): Promise<void> {
    const gen = ++generation;
    const list = await api.get<CollectorDto[]>('/collectors');
    if (gen !== generation) return;
    byId.clear();
    for (const c of list) byId.set(c.id, c);
    loaded.value = true;
  }

  async function loadSites(): Promise<void> {
    const r = await api.get<{ own: string; sites: string[] }>('/sites');
    ownSite.value = r.own;
    siteList.value = r.sites;
  }

  async function forget(id: string): Promise<void> {
    await api.delete(`/collectors/${encodeURIComponent(id)}`);
    byId.delete(id);
  }

  onServerEvent('collector.changed', (c) => {
    if (c.forgotten) byId.delete(c.id);
    else {
      const { forgotten: _f, ...dto } = c;
      byId.set(c.id, dto);
    }
  });
  onConnectionState((state) => {
    if (state === 'connected' && loaded.value) void load().catch(() => undefined);
  });

  return { items, loaded, ownSite, sites, load, loadSites, forget };
});
