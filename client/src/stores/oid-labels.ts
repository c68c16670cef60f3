import { reactive } from 'vue';
import { defineStore } from 'pinia';
import { api } from '@/api/client';

/**
 * Names of numeric OIDs from the server's loaded MIBs (`GET /oids/:oid`), cached.
 * An OID the dictionary does not know stays numeric: never a made-up name.
 */
export const useOidLabelsStore = defineStore('oid-labels', () => {
  const labels = reactive(new Map<string, string | null>());
  const pending = new Set<string>();

  async function resolve(oids: readonly string[]): Promise<void> {
    const todo = [...new Set(oids)].filter((o) => /^\d+(\.\d+)+$/.test(o) && !labels.has(o) && !pending.has(o)).slice(0, 50);
    await Promise.all(
      todo.map(async (oid) => {
        pending.add(oid);
        try {
          const r = await api.get<{ found: boolean; label?: string }>(`/oids/${oid}`);
          labels.set(oid, r.found && r.label && r.label !== oid ? r.label : null);
        } catch {
          // Not known (or the MIBs are still loading): no name now, asked again next time.
        } finally {
          pending.delete(oid);
        }
      }),
    );
  }

  return { labels, resolve };
});
