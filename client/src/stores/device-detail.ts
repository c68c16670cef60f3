import { api } from '@/api/client';
import type { DeviceDto } from '@contracts/dto';
import type { DeviceStatusDto, InterfaceDto, NeighbourDto } from '@contracts/poll-state';

export interface MetricInfo {
  id: number;
  name: string;
  instance: string;
  unit: string | null;
}

export interface SeriesResponse {
  resolution: string;
  series: { instance: string; unit: string | null; points: { ts: number; value: number }[] }[];
}

/** REST calls of the device page (state lives in the view: one device at a time). */
export const deviceApi = {
  device: (id: number) => api.get<DeviceDto>(`/devices/${id}`),
  status: (id: number) => api.get<{ status: DeviceStatusDto | null }>(`/devices/${id}/status`),
  interfaces: (id: number) => api.get<{ items: InterfaceDto[] }>(`/devices/${id}/interfaces`),
  neighbours: (id: number) => api.get<{ items: NeighbourDto[] }>(`/devices/${id}/neighbours`),
  metrics: (id: number) => api.get<{ items: MetricInfo[] }>(`/devices/${id}/metrics`),
  series: (id: number, metric: string, fromMs: number, step?: number, instance?: string) =>
    api.get<SeriesResponse>(
      `/metrics?device=${id}&metric=${encodeURIComponent(metric)}&from=${fromMs}${step ? `&step=${step}` : ''}${instance !== undefined ? `&instance=${encodeURIComponent(instance)}` : ''}`,
    ),
  pollNow: (id: number) => api.post<{ status: DeviceStatusDto | null; interfaces: InterfaceDto[] }>(`/devices/${id}/poll`, {}),
};
