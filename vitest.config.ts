import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Shared contracts (*.case.ts) are imported by tests, never run on their own.
    exclude: ['**/node_modules/**', 'test/**/*.case.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
