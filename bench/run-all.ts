/**
 * `npm run bench`: every benchmark in turn, each in its own process so one's load does not
 * skew the next. Each writes bench/results/<name>.json and prints a summary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const names = [
  'client',
  'webhook',
  'cascade',
  'cluster',
  'dashboard',
  'dashboard-calls',
  'cli',
  'connect',
  'cutoff',
  'warm-start',
  'memory',
  'soak',
];
let failed = 0;
for (const name of names) {
  const script = fileURLToPath(new URL(`./${name}/run.ts`, import.meta.url));
  if (!existsSync(script)) {
    console.error(`bench/${name}/run.ts is missing`);
    failed += 1;
    continue;
  }
  console.log(`\n=== bench/${name}`);
  const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(`bench/${name} failed (exit ${result.status ?? result.signal})`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
