import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';

/**
 * In demo mode `start` writes where its simulator and Temporal are to `<data dir>/demo.env`
 * (mode 0600: it holds the simulator's API key), so other commands run in another terminal
 * (`graph`, `trigger`, `cascades`) reach the same demo without any configuration.
 */
export const demoEnvPath = (dataDir: string): string => join(dataDir, 'demo.env');

export async function writeDemoEnv(dataDir: string, values: Record<string, string>): Promise<void> {
  const path = demoEnvPath(dataDir);
  const text = Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  await writeFile(
    path,
    `# Written by \`spacelift-cascade start\` (demo mode); removed when it stops.\n${text}\n`,
    {
      mode: 0o600,
    },
  );
  await chmod(path, 0o600);
}

export async function readDemoEnv(dataDir: string): Promise<Record<string, string> | null> {
  try {
    return parse(await readFile(demoEnvPath(dataDir), 'utf8'));
  } catch {
    return null;
  }
}

export async function removeDemoEnv(dataDir: string): Promise<void> {
  await rm(demoEnvPath(dataDir), { force: true });
}
