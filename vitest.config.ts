import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Real PostgreSQL, Redis and mosquitto on loopback, started once per run.
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Hooks may start their own servers (and the first run may apt-get install them).
    hookTimeout: 120_000,
    pool: 'forks'
  }
})
