import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { DeviceDto } from '@contracts/dto';
import { api } from '@/api/client';
import { onConnectionState, onServerEvent } from '@/realtime/socket';
import type { DeviceBody } from '@/lib/device-form';

/**
 * Devices as the server knows them: loaded over REST, then kept current by the
 * socket's device.created/updated/deleted events (from any user or tool).
 */
export const useDevicesStore = defineStore('devices', () => {
  const byId = ref(new Map<number, DeviceDto>());
  const loaded = ref(false);
  const loading = ref(false);

  const items = computed(() =>
    [...byId.value.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }) || a.id - b.id),
  );

  function upsert(d: DeviceDto): void {
    const cur = byId.value.get(d.id);
    // An older copy (e.g. a late socket echo) never overwrites a newer one.
    if (cur && cur.updatedAt > d.updatedAt) return;
    byId.value.set(d.id, d);
  }

  function forget(id: number): void {
    byId.value.delete(id);
  }

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const res = await api.get<{ items: DeviceDto[] }>('/devices');
      byId.value = new Map(res.items.map((d) => [d.id, d]));
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function create(body: DeviceBody): Promise<DeviceDto> {
    const d = await api.post<DeviceDto>('/devices', body);
    upsert(d);
    return d;
  }

  async function update(id: number, body: DeviceBody): Promise<DeviceDto> {
    const d = await api.patch<DeviceDto>(`/devices/${id}`, body);
    upsert(d);
    return d;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/devices/${id}`);
    forget(id);
  }

  function reset(): void {
    byId.value = new Map();
    loaded.value = false;
  }

  onServerEvent('device.created', upsert);
  onServerEvent('device.updated', upsert);
  onServerEvent('device.deleted', ({ id }) => forget(id));
  // Events sent while the socket was down are lost: reload once it is back.
  onConnectionState((state) => {
    if (state === 'connected' && loaded.value && !loading.value) void load().catch(() => undefined);
  });

  return { items, loaded, loading, load, create, update, remove, reset };
});
