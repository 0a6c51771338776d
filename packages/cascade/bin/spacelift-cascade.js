#!/usr/bin/env node
// The `spacelift-cascade` command. npm links a bin only if its file exists at install time; dist/
// appears with the build (after `npm ci` in the repository), so the bin is this file, which loads
// the built CLI.
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

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
