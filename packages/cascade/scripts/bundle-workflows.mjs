#!/usr/bin/env node
// Bundles the workflows ahead of time, as temporalio/samples-typescript's `production` sample
// does: `npm run build` writes dist/workflow-bundle.js from the compiled dist/workflows/index.js,
// and a worker started from dist loads it (`workflowBundle: { codePath }`) instead of loading
// webpack into the service to bundle at every start (the service's peak RSS at 306 stacks went
// from 413 to 282 MB, see bench/memory; webpack's modules stayed loaded, 27 MB of live heap).
// Run from source (tsx, vitest), the worker bundles at start as before. Runs after `tsc`: the
// worker ignores a bundle older than the code it was made from.
//
//   node scripts/bundle-workflows.mjs [entry [out]]
//   (default entry dist/workflows/index.js, out dist/workflow-bundle.js)
import { Buffer } from 'node:buffer';
import { writeFile } from 'node:fs/promises';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const [
  entry = fileURLToPath(new URL('../dist/workflows/index.js', import.meta.url)),
  out = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url)),
] = process.argv.slice(2);
const MAP_COMMENT = '//# sourceMappingURL=data:';

/**
 * The bundle without the sources inside its inline source map: workflow stack traces still map to
 * file and line, and only `showStackTraceSources` (off) would read them, yet the worker would
 * hold them in the main thread and in the workflow thread (about 7 MB of heap).
 * @param {string} code
 * @returns {string}
 */
function withoutSourcesContent(code) {
  // Found as the worker finds it (its extractSourceMap): the last data URL comment, then base64.
  const at = code.lastIndexOf(MAP_COMMENT);
  const tag = at < 0 ? -1 : code.indexOf('base64,', at);
  if (tag < 0) throw new Error('the workflow bundle has no inline source map (the worker requires one)');
  const data = tag + 'base64,'.length;
  /** @type {unknown} */
  const parsed = JSON.parse(Buffer.from(code.slice(data).trim(), 'base64').toString());
  const map = /** @type {{ sourcesContent?: unknown }} */ (parsed);
  delete map.sourcesContent;
  return `${code.slice(0, data)}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: new DefaultLogger('WARN') });
const bundle = withoutSourcesContent(code);
await writeFile(out, bundle);
process.stdout.write(`bundled ${entry} into ${out} (${(bundle.length / 1024).toFixed(0)} KB)\n`);
