// One vitest configuration for every package: node environment, generous timeouts for
// numerical tests on 2 cores, and a JSON report per package that scripts/test-summary.mjs adds up.
import { defineConfig } from 'vitest/config';

export function sharedConfig(overrides: { testTimeout?: number } = {}) {
  return defineConfig({
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      poolOptions: { forks: { singleFork: true } },
      reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    },
  });
}
