import { ref, shallowRef } from 'vue';
import { errorMessage } from '../api/client';

/**
 * "Are you sure?" for an action on one item (delete, revoke, remove): `ask(item)`
 * opens the ConfirmDialog (`target`), `confirm()` runs the action with `busy`
 * set, closes on success and keeps the dialog open with `error` on failure;
 * `cancel()` closes it.
 */
export function useConfirmAction<T>(run: (item: T) => Promise<void>) {
  const target = shallowRef<T | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  function ask(item: T): void {
    error.value = null;
    target.value = item;
  }

  function cancel(): void {
    target.value = null;
  }

  async function confirm(): Promise<void> {
    const item = target.value;
    if (item === null) return;
    busy.value = true;
    try {
      await run(item);
      target.value = null;
    } catch (err) {
      error.value = errorMessage(err);
    } finally {
      busy.value = false;
    }
  }

  return { target, busy, error, ask, cancel, confirm };
}
