import { computed, reactive, ref } from 'vue';
import { defineStore } from 'pinia';
import type { DeviceDto } from '@contracts/dto';
import { api } from '@/api/client';
import { onConnectionState, onServerEvent } from '@/realtime/socket';
import { createLiveMap } from '@/lib/live-map';
import type { DeviceBody } from '@/lib/device-form';

/**
 * Devices as the server knows them: loaded over REST, then kept current by the
 * socket's device.created/updated/deleted events (from any user or tool).
 */
export const useDevicesStore = defineStore('devices', () => {
  const byId = reactive(new Map<number, DeviceDto>());
  const live = createLiveMap(byId as Map<number, DeviceDto>);
  const loaded = ref(false);
  const loading = ref(0);

  const items = computed(() =>
    [...byId.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }) || a.id - b.id),
  );

  async function load(): Promise<void> {
    loading.value++;
    try {
      await live.load(async () => (await api.get<{ items: DeviceDto[] }>('/devices')).items);
      loaded.value = true;
    } finally {
      loading.value--;
    }
  }

  async function create(body: DeviceBody): Promise<DeviceDto> {
    const d = await api.post<DeviceDto>('/devices', body);
    live.upsert(d);
    return d;
  }

  async function update(id: number, body: DeviceBody): Promise<DeviceDto> {
    const d = await api.patch<DeviceDto>(`/devices/${id}`, body);
    live.upsert(d);
    return d;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/devices/${id}`);
    live.forget(id);
  }

  function reset(): void {
    live.clear();
    loaded.value = false;
  }

  onServerEvent('device.created', live.upsert);
  onServerEvent('device.updated', live.upsert);
  onServerEvent('device.deleted', ({ id }) => live.forget(id));
  // A collector going down or up changes its site's devices' state ("unknown (collector down)"):
  // reload on a change of state, not on every heartbeat.
  const collectorStates = new Map<string, string>();
  onServerEvent('collector.changed', (c) => {
    const next = c.forgotten ? 'forgotten' : c.state;
    const prev = collectorStates.get(c.id);
    if (c.forgotten) collectorStates.delete(c.id);
    else collectorStates.set(c.id, c.state);
    if (prev !== next && loaded.value) void load().catch(() => undefined);
  });
  // Events sent while the socket was down are lost: reload once it is back.
  onConnectionState((state) => {
    if (state === 'connected' && loaded.value) void load().catch(() => undefined);
  });

  return { items, loaded, loading: computed(() => loading.value > 0), load, create, update, remove, reset };
});
