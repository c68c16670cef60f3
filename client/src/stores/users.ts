import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { Role, UserDto } from '@contracts/dto';
import { api } from '@/api/client';

export interface UserInput {
  username?: string;
  password?: string;
  role?: Role;
  disabled?: boolean;
}

/** Console users (admins only). */
export const useUsersStore = defineStore('users', () => {
  const items = ref<UserDto[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    const res = await api.get<{ items: UserDto[] }>('/users');
    items.value = res.items;
    loaded.value = true;
  }

  async function create(input: Required<Omit<UserInput, 'disabled'>>): Promise<UserDto> {
    const u = await api.post<UserDto>('/users', input);
    items.value = [...items.value.filter((x) => x.id !== u.id), u];
    return u;
  }

  async function update(id: number, input: UserInput): Promise<UserDto> {
    const u = await api.patch<UserDto>(`/users/${id}`, input);
    items.value = items.value.map((x) => (x.id === id ? u : x));
    return u;
  }

  async function remove(id: number): Promise<void> {
    await api.delete(`/users/${id}`);
    items.value = items.value.filter((x) => x.id !== id);
  }

  function reset(): void {
    items.value = [];
    loaded.value = false;
  }

  return { items, loaded, load, create, update, remove, reset };
});
