import { useDevicesStore } from './devices';
import { useStatusStore } from './status';
import { useTokensStore } from './tokens';
import { useUsersStore } from './users';

/** Forgets every store's server data (after logout, or when the session ends). */
export function clearSessionData(): void {
  useDevicesStore().reset();
  useStatusStore().reset();
  useUsersStore().reset();
  useTokensStore().reset();
}
