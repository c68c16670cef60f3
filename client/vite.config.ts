import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The console is built into dist/client, which the server serves.
// In development, `npx vite --config client/vite.config.ts` proxies the API
// and socket.io to a server running on :8080.
export default defineConfig({
  root: here('.'),
  plugins: [vue()],
  resolve: {
    alias: {
      '@': here('./src'),
      '@contracts': here('../server/contracts'),
    },
  },
  build: {
    outDir: here('../dist/client'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: 'http://localhost:8080', changeOrigin: false },
      '/socket.io': { target: 'http://localhost:8080', ws: true, changeOrigin: false },
    },
  },
});
