import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package entry, as a program importing 'xrpl-overlay' sees it (package.json exports → dist/index.js, built from this).
  resolve: { alias: { 'xrpl-overlay': new URL('./src/index.ts', import.meta.url).pathname } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Integration suites bind fixed 127.0.x.y addresses and load the CPU: one file at a time keeps them
    // from starving each other's timers on a 2-core machine.
    fileParallelism: false,
  },
});
