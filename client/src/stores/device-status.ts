import { reactive, ref } from 'vue';
import { defineStore } from 'pinia';
import type { DeviceDto } from '@contracts/dto';
import type { DeviceStatusDto } from '@contracts/poll-state';
import { api } from '@/api/client';
import { onConnectionState, onServerEvent } from '@/realtime/socket';
import { unreachableLabel, type ReachInput } from '@/lib/root-cause';

/** Polled state of every device (reachability, RTT/loss, last poll), kept live by `device.status`. */
export const useDeviceStatusStore = defineStore('device-status', () => {
  const byId = reactive(new Map<number, DeviceStatusDto>());
  const loaded = ref(false);

  async function load(): Promise<void> {
    const { items } = await api.get<{ items: DeviceStatusDto[] }>('/device-status');
    byId.clear();
    for (const s of items) byId.set(s.deviceId, s);
    loaded.value = true;
  }

  function put(s: DeviceStatusDto): void {
    byId.set(s.deviceId, s);
  }

  function reset(): void {
    byId.clear();
    loaded.value = false;
  }

  onServerEvent('device.status', put);
  onServerEvent('device.deleted', ({ id }) => byId.delete(id));
  onConnectionState((state) => {
    if (state === 'connected' && loaded.value) void load().catch(() => undefined);
  });

  return { byId, loaded, load, put, reset };
});

/**
 * One word for the list: up, down, auth failure, unknown. A device whose site's collectors are
 * all down is "unknown (collector down)": what we last heard says nothing about it now. A device
 * behind a failed one (root-cause analysis) is "unreachable (behind <cause>)", not down.
 */
export function reachability(
  s: DeviceStatusDto | undefined,
  device?: Pick<DeviceDto, 'collectorDown'>,
  deviceName: (id: number) => string | undefined = () => undefined,
): { label: string; tone: 'green' | 'red' | 'amber' | '' } {
  if (device?.collectorDown) return { label: 'unknown (collector down)', tone: 'amber' };
  if (!s) return { label: 'not polled yet', tone: '' };
  const behind = unreachableLabel(s as DeviceStatusDto & ReachInput, deviceName);
  if (behind) return { label: behind, tone: '' };
  if (s.icmpState === 'down' || s.snmpState === 'down') return { label: s.icmpState === 'down' ? 'down' : 'SNMP down', tone: 'red' };
  if (s.snmpState === 'auth_failure') return { label: 'SNMP auth failure', tone: 'amber' };
  if (s.icmpState === 'up' || s.snmpState === 'up') return { label: 'up', tone: 'green' };
  return { label: 'unknown', tone: '' };
}
