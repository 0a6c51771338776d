/**
 * The workflow lint block of eslint.config.js (no Node built-ins, activity types only) must
 * cover every file of ours the workflow bundle contains: a module that joins the bundle without
 * the rule fails here, naming the file. The list is the bundler's own (webpack's modules).
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { ESLint } from 'eslint';
import { existsSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowsEntryPath } from '../../src/worker/create-cascade-worker.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Our source files (repository paths) in the workflow bundle, as webpack resolved them. */
async function bundledSourceFiles(): Promise<string[]> {
  const resources = new Set<string>();
  await bundleWorkflowCode({
    workflowsPath: workflowsEntryPath(),
    logger: new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        {
          apply: (compiler) => {
            compiler.hooks.done.tap('bundled-files', (stats) => {
              for (const module of stats.compilation.modules) {
                const { resource } = module as { resource?: string };
                if (resource) resources.add(resource);
              }
            });
          },
        },
      ],
    }),
  });
  // The generated entry point lives in the bundler's memory, not on disk.
  return [...resources]
    .filter((file) => file.startsWith(root) && !file.split(sep).includes('node_modules') && existsSync(file))
    .map((file) => relative(root, file).split(sep).join('/'))
    .sort();
}

describe('the workflow lint rules', () => {
  it('cover every source file the workflow bundle contains', async () => {
    const files = await bundledSourceFiles();
    // The collector works: the workflow and the model it runs are in the list.
    expect(files).toContain('packages/cascade/src/workflows/stack-dependency-chain.ts');
    expect(files).toContain('packages/cascade/src/estate/estate-model.ts');

    const eslint = new ESLint({ cwd: root });
    const uncovered: string[] = [];
    for (const file of files) {
      const config = (await eslint.calculateConfigForFile(file)) as {
        rules?: Record<string, [number | string, ...unknown[]] | undefined>;
      };
      const severity = config.rules?.['no-restricted-imports']?.[0];
      if (severity !== 2 && severity !== 'error') uncovered.push(file);
    }
    expect(uncovered).toEqual([]);
  }, 120_000);
});
