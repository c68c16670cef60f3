import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import type { Role, UserDto } from '@contracts/dto';
import { api, ApiError } from '@/api/client';
import { connectSocket, disconnectSocket } from '@/realtime/socket';

/** `/auth/me` returns the user without createdAt. */
export type SessionUser = Pick<UserDto, 'id' | 'username' | 'role'>;

/** The logged-in user; owns login, logout and the session probe at start-up. */
export const useAuthStore = defineStore('auth', () => {
  const user = ref<SessionUser | null>(null);
  /** True once we know whether a session exists (after the first /auth/me). */
  const checked = ref(false);

  const loggedIn = computed(() => user.value !== null);
  const role = computed<Role | null>(() => user.value?.role ?? null);
  const isAdmin = computed(() => role.value === 'admin');
  /** Operators and admins edit devices; viewers only read. */
  const canEditDevices = computed(() => role.value === 'admin' || role.value === 'operator');

  function setUser(next: SessionUser | null): void {
    user.value = next;
    if (next) connectSocket();
    else disconnectSocket();
  }

  async function checkSession(): Promise<void> {
    try {
      const res = await api.get<{ user: SessionUser }>('/auth/me', { allowUnauthorized: true });
      setUser(res.user);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      setUser(null);
    } finally {
      checked.value = true;
    }
  }

  async function login(username: string, password: string): Promise<void> {
    const res = await api.post<{ token: string; user: SessionUser }>('/auth/login', { username, password }, { allowUnauthorized: true });
    setUser(res.user);
    checked.value = true;
  }

  async function logout(): Promise<void> {
    try {
      await api.post('/auth/logout', undefined, { allowUnauthorized: true });
    } finally {
      setUser(null);
    }
  }

  /** Changes the signed-in user's own password; the server ends their other sessions and API tokens. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await api.post('/auth/password', { currentPassword, newPassword });
  }

  /** The session ended elsewhere (expired, revoked): forget the user locally. */
  function sessionLost(): void {
    setUser(null);
  }

  return { user, checked, loggedIn, role, isAdmin, canEditDevices, checkSession, login, logout, changePassword, sessionLost };
});
