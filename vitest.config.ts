import { defineConfig } from 'vitest/config';

const packages = ['shared', 'edge', 'central', 'firmware-sim'];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: packages.map((name) => ({
      extends: true,
      test: { name, root: `./${name}`, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
    })),
  },
});
