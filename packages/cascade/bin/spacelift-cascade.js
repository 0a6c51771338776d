#!/usr/bin/env node
// The `spacelift-cascade` command. npm links a bin only if its file exists at install time; dist/
// appears with the build (after `npm ci` in the repository), so the bin is this file, which loads
// the built CLI.
import module from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

// Node keeps the compiled code of the CLI and its dependencies on disk (its compile cache, as npm
// and tsc use it; NODE_DISABLE_COMPILE_CACHE=1 turns it off): from the second run on, a command
// loads its modules (config schemas, Spacelift client, Temporal SDK) about a quarter faster.
// (Node 22.1 and later; @types/node 20 does not know it yet.)
/** @type {{ enableCompileCache?: () => unknown }} */ (module).enableCompileCache?.();

const cli = new URL('../dist/cli.js', import.meta.url);
try {
  await import(cli.href);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(fileURLToPath(cli))) {
    process.stderr.write(
      `spacelift-cascade: ${fileURLToPath(cli)} is missing: run \`npm run build\` first.\n`,
    );
    process.exit(1);
  }
  throw error;
}
