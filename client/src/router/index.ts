import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useAuthStore } from '@/stores/auth';
import AppLayout from '@/components/AppLayout.vue';
import LoginView from '@/views/LoginView.vue';
import { PLANNED_PAGES } from './planned-pages';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (the login page). */
    public?: boolean;
    title?: string;
  }
}

const planned: RouteRecordRaw[] = PLANNED_PAGES.map((p) => ({
  path: p.path.slice(1),
  name: p.name,
  component: () => import('@/views/NotYetView.vue'),
  props: { page: p },
  meta: { title: p.title },
}));

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: 'Log in' } },
  {
    path: '/',
    component: AppLayout,
    children: [
      { path: '', redirect: { name: 'dashboard' } },
      ...planned,
      { path: 'dashboard', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: 'Dashboard' } },
      { path: 'topology', name: 'topology', component: () => import('@/views/TopologyView.vue'), meta: { title: 'Topology' } },
      { path: 'events', name: 'events', component: () => import('@/views/EventsView.vue'), meta: { title: 'Events' } },
      { path: 'alarms', name: 'alarms', component: () => import('@/views/AlarmsView.vue'), meta: { title: 'Alarms' } },
      { path: 'templates', name: 'templates', component: () => import('@/views/TemplatesView.vue'), meta: { title: 'Templates' } },
      { path: 'inbox', name: 'inbox', component: () => import('@/views/InboxView.vue'), meta: { title: 'Inbox' } },
      { path: 'rules', name: 'rules', component: () => import('@/views/RulesView.vue'), meta: { title: 'Rules' } },
      { path: 'devices', name: 'devices', component: () => import('@/views/DevicesView.vue'), meta: { title: 'Devices' } },
      { path: 'oid-dictionary', name: 'oids', component: () => import('@/views/OidDictionaryView.vue'), meta: { title: 'OID Dictionary' } },
      { path: 'devices/:id(\\d+)', name: 'device', component: () => import('@/views/DeviceDetailView.vue'), meta: { title: 'Device' } },
      { path: 'settings', name: 'settings', component: () => import('@/views/SettingsView.vue'), meta: { title: 'Settings' } },
      { path: 'status', name: 'status', component: () => import('@/views/StatusView.vue'), meta: { title: 'Status' } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'Not found' } },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const auth = useAuthStore();
  if (!auth.checked) {
    try {
      await auth.checkSession();
    } catch {
      // Server unreachable: the login page says so when the user tries.
    }
  }
  if (!to.meta.public && !auth.loggedIn) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  }
  if (to.name === 'login' && auth.loggedIn) return { name: 'dashboard' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Netwatch` : 'Netwatch';
});
