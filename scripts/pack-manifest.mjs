#!/usr/bin/env node
// The workspace packages export their TypeScript sources under the "source" condition (tests, tsx and
// tsc read them without a build). A published package ships only dist/, so that condition must not
// reach npm: a consumer who enables "source" would resolve to files that are not there.
//
//   prepack:  node ../../scripts/pack-manifest.mjs strip    (backs package.json up, drops "source")
//   postpack: node ../../scripts/pack-manifest.mjs restore  (puts the backup back)
//
// Run in the package folder (npm runs pack scripts there). Publish the tarball `npm pack` made
// (`npm publish <file>.tgz`): its package.json is the stripped one.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import process from 'node:process';

const MANIFEST = 'package.json';
const BACKUP = '.package.json.prepack';

/**
 * `exports` without the "source" condition, at any depth.
 * @param {unknown} exports
 * @returns {unknown}
 */
function withoutSource(exports) {
  if (exports === null || typeof exports !== 'object' || Array.isArray(exports)) return exports;
  return Object.fromEntries(
    Object.entries(/** @type {Record<string, unknown>} */ (exports))
      .filter(([key]) => key !== 'source')
      .map(([key, value]) => [key, withoutSource(value)]),
  );
}

/**
 * The package.json to publish, from the workspace one.
 * @param {string} original
 * @returns {string}
 */
function published(original) {
  /** @type {unknown} */
  const parsed = JSON.parse(original);
  const manifest = /** @type {Record<string, unknown>} */ (parsed);
  return `${JSON.stringify({ ...manifest, exports: withoutSource(manifest.exports) }, null, 2)}\n`;
}

function strip() {
  if (existsSync(BACKUP)) {
    throw new Error(`${BACKUP} exists: an earlier pack did not finish; put it back as ${MANIFEST} first`);
  }
  const original = readFileSync(MANIFEST, 'utf8');
  writeFileSync(BACKUP, original);
  writeFileSync(MANIFEST, published(original));
}

function restore() {
  if (!existsSync(BACKUP)) return;
  // Someone edited package.json while the tarball was made: keep their edit, leave the backup.
  if (readFileSync(MANIFEST, 'utf8') !== published(readFileSync(BACKUP, 'utf8'))) {
    process.stderr.write(`${MANIFEST} changed during pack: not restored; its original is ${BACKUP}\n`);
    process.exit(1);
  }
  renameSync(BACKUP, MANIFEST);
}

const command = process.argv[2];
if (command === 'strip') strip();
else if (command === 'restore') restore();
else {
  process.stderr.write('usage: pack-manifest.mjs strip|restore\n');
  process.exit(2);
}
