import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['grammar/**/*.test.ts', 'compiler/**/*.test.ts', 'runtime/**/*.test.{ts,tsx}', 'cli/**/*.test.ts', 'test/**/*.test.ts', 'vscode/server/**/*.test.ts', 'vscode/*.test.ts'],
    // TF.js backends are process-global; files run in separate forks so one test's backend
    // choice cannot leak into another's.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
