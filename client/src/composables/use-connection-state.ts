import { onBeforeUnmount, ref } from 'vue';
import { onConnectionState, type ConnectionState } from '@/realtime/socket';

/** The live connection's state, for an indicator; stops following on unmount. */
export function useConnectionState() {
  const state = ref<ConnectionState>('disconnected');
  const stop = onConnectionState((s) => {
    state.value = s;
  });
  onBeforeUnmount(stop);
  return state;
}
