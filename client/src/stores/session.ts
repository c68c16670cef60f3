import { useAlarmsStore } from './alarms';
import { useChannelsStore } from './channels';
import { useDevicesStore } from './devices';
import { useDeviceStatusStore } from './device-status';
import { useEventsStore } from './events';
import { useMaintenanceStore } from './maintenance';
import { useRulesStore } from './rules';
import { useStatusStore } from './status';
import { useTokensStore } from './tokens';
import { useUsersStore } from './users';

/** Forgets every store's server data (after logout, or when the session ends). */
export function clearSessionData(): void {
  useDevicesStore().reset();
  useDeviceStatusStore().reset();
  useStatusStore().reset();
  useUsersStore().reset();
  useTokensStore().reset();
  useEventsStore().reset();
  useAlarmsStore().reset();
  useRulesStore().reset();
  useChannelsStore().reset();
  useMaintenanceStore().reset();
}
