import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { workflowsEntryPath } from '../../src/worker/create-cascade-worker.js';

describe('workflowsEntryPath', () => {
  it('finds the TypeScript entry when running from source', () => {
    const path = workflowsEntryPath();
    expect(path).toMatch(/src\/workflows\/index\.ts$/);
    expect(existsSync(path)).toBe(true);
  });
});
