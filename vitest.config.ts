import { defineConfig } from 'vitest/config';

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
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
