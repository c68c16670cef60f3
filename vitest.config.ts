import { defineConfig } from 'vitest/config';

// One runner for all three tiers (unit, integration with real peers, e2e in Chromium).
// Peer tests start real processes, so they get generous timeouts; files run in
// parallel on a small pool because the machines have two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // As `npm start` runs the server: the suite proves the code works with the __proto__ accessor disabled.
    execArgv: ['--disable-proto=throw'],
    maxWorkers: 3,
    reporters: ['default'],
  },
});
