import { configDefaults, defineConfig } from 'vitest/config';

const FRESH_CLONE = 'test/fresh-clone.test.ts';
const CLUSTER = 'test/cluster/cascade-under-faults.test.ts';

// Tests import workspace packages from source (the "source" export condition), so no build is needed.
export default defineConfig({
  resolve: {
    conditions: ['source', 'import', 'module', 'node', 'default'],
    // One graphql instance: Node loads graphql-yoga's `graphql` as CommonJS, so source files must too
    // (vite would pick the "module" build and schemas would fail with "from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  ssr: { resolve: { conditions: ['source', 'node', 'default'], externalConditions: ['source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          globalSetup: ['test/global-setup.ts'],
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, FRESH_CLONE, CLUSTER],
        },
      },
      // The cluster (PostgreSQL, four Temporal processes, receivers, workers) on fixed ports: alone, after the rest.
      { extends: true, test: { name: 'cluster', include: [CLUSTER], sequence: { groupOrder: 1 } } },
      // The fresh clone runs the whole suite again inside; after the rest, not competing for the CPU.
      { extends: true, test: { name: 'fresh-clone', include: [FRESH_CLONE], sequence: { groupOrder: 2 } } },
    ],
  },
});
