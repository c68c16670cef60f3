import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router';
import { setUnauthorizedHandler } from './api/client';
import { setSocketAuthLostHandler } from './realtime/socket';
import { useAuthStore } from './stores/auth';
import { clearSessionData } from './stores/session';
import './styles/main.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);

// Any 401 (session expired or revoked) ends the session here and goes to login.
function sessionEnded(): void {
  const auth = useAuthStore(pinia);
  if (!auth.loggedIn) return;
  auth.sessionLost();
  clearSessionData();
  const current = router.currentRoute.value;
  if (!current.meta.public) void router.push({ name: 'login', query: { redirect: current.fullPath, expired: '1' } });
}
setUnauthorizedHandler(sessionEnded);
setSocketAuthLostHandler(sessionEnded);

app.use(router);
app.mount('#app');
