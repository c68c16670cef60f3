import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { MaintenanceWindowDto } from '@contracts/alarms';
import { api } from '@/api/client';

export interface MaintenanceInput {
  name: string;
  deviceId: number | null;
  group: string | null;
  kind: 'once' | 'daily' | 'weekly';
  startsAt: number | null;
  endsAt: number | null;
  days: number[];
  startTime: string | null;
  durationMin: number | null;
  timezone: string;
}

/** Maintenance windows per device or group (operators add and delete). */
export const useMaintenanceStore = defineStore('maintenance', () => {
  const items = ref<MaintenanceWindowDto[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    items.value = (await api.get<{ items: MaintenanceWindowDto[] }>('/maintenance')).items;
    loaded.value = true;
  }

  async function create(input: MaintenanceInput): Promise<MaintenanceWindowDto> {
    const w = await api.post<MaintenanceWindowDto>('/maintenance', input);
    items.value = [...items.value, w];
    return w;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/maintenance/${id}`);
    items.value = items.value.filter((x) => x.id !== id);
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
  }

  return { items, loaded, load, create, remove, reset };
});
