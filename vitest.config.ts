import { defineConfig } from 'vitest/config';

// Everything here runs without a GPU, on the simulated device. GPU tests live in test/gpu/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/gpu/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
