import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesMentioning, quietPort, REPO_ROOT, spawnCli, type Spawned } from './cli-process.js';

/**
 * The root README's Quick start shows the demo's output: this runs the demo as `npm start` does
 * (`spacelift-cascade start`, no credentials, the shipped seed, the simulator's own timing) in a
 * temporary data folder on free ports, and checks that every line of the README's transcript is
 * a line of the real output, in the same order. Run ids (`01M8...`), ports and the data folder
 * stand for whatever this run printed; a line of `...` leaves lines out.
 */
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The Quick start's transcript: the code block that shows the service getting ready. */
export function quickStartTranscript(readme: string): string[] {
  const section = /^## Quick start\s*$([\s\S]*?)(?=^## )/m.exec(`${readme}\n## `)?.[1] ?? '';
  const blocks = [...section.matchAll(/^```[a-z]*\s*$([\s\S]*?)^```\s*$/gm)].map((m) => m[1]!);
  const transcript = blocks.find((b) => b.includes('spacelift-cascade is ready'));
  if (transcript === undefined)
    throw new Error('README.md: no transcript of `npm start` under "## Quick start"');
  return transcript.split('\n').filter((line) => line.trim() !== '');
}

/** A README line as a pattern of a whole output line: run ids, ports and the data folder vary. */
export function linePattern(line: string): RegExp {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = escaped
    .replace(/01M8\\\.\\\.\\\./g, '[0-9A-HJKMNP-TV-Z]{26}')
    .replace(/\/path\/to\/clone\/\\\.data/g, '\\S+')
    .replace(/(127\\\.0\\\.0\\\.1|0\\\.0\\\.0\\\.0):\d+/g, '$1:\\d+');
  return new RegExp(`^${pattern}$`);
}

/** The README lines (in order) that no output line matches in that order; [] when all do. */
export function unmatchedLines(transcript: string[], output: string[]): string[] {
  const missing: string[] = [];
  let at = 0;
  for (const line of transcript) {
    if (line.trim() === '...') continue;
    const pattern = linePattern(line);
    const found = output.findIndex((out, i) => i >= at && pattern.test(out));
    if (found === -1) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

describe('the README transcript check itself', () => {
  it('matches ids, ports and the data folder, keeps order, skips "..." and reports what is missing', () => {
    const transcript = [
      'Temporal:           127.0.0.1:7233 (namespace default)',
      'Data folder:        /path/to/clone/.data',
      '...',
      'Demo: warehouse: FAILED, run 01M8... ended FAILED http://127.0.0.1:4000/stack/warehouse/run/01M8...',
    ];
    const output = [
      'Temporal:           127.0.0.1:41234 (namespace default)',
      'Data folder:        /tmp/cascade-x/data',
      'Demo: cache: queued',
      'Demo: warehouse: FAILED, run 01M8W1EFRY9A01ZKV9SJK5BPFK ended FAILED http://127.0.0.1:4411/stack/warehouse/run/01M8W1EFRY9A01ZKV9SJK5BPFK',
    ];
    expect(unmatchedLines(transcript, output)).toEqual([]);
    // In the reverse order only the first line found stands: the two before it are missing.
    expect(unmatchedLines([...transcript].reverse(), output)).toEqual([transcript[1], transcript[0]]);
    expect(unmatchedLines(['Demo: reporting: BLOCKED by warehouse'], output)).toEqual([
      'Demo: reporting: BLOCKED by warehouse',
    ]);
    expect(
      linePattern('Webhook:            http://0.0.0.0:8000/webhook').test(
        'Webhook:            http://0.0.0.0:8000/webhookX',
      ),
    ).toBe(false);
  });
});

describe('README Quick start: the transcript is the demo of today', () => {
  let dir: string;
  let service: Spawned | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-readme-demo-'));
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null)
      service.child.kill('SIGKILL');
    for (const pid of (await processesMentioning(dir)).map((l) => Number(l.split(':')[0])))
      process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('says what the README promises: no seed-era workflows, "blocked" as the code says it', () => {
    const section = /^## Quick start\s*$([\s\S]*?)(?=^## )/m.exec(README)?.[1] ?? '';
    expect(section).not.toContain('stackExecutionWorkflow');
    expect(section).not.toMatch(/BLOCKED|skipped|pending/);
    const transcript = quickStartTranscript(README);
    expect(transcript).toContain('spacelift-cascade is ready. Press Ctrl-C to stop.');
    expect(transcript.some((line) => line.startsWith('Demo cascade '))).toBe(true);
  });

  it('every transcript line is a line of a real demo run, in order', { timeout: 240_000 }, async () => {
    const envFile = join(dir, 'empty.env');
    await writeFile(envFile, '');
    // `npm start` with nothing set, but on free ports (a developer may run the real thing on the defaults).
    service = spawnCli(['--env-file', envFile, 'start', '--data-dir', join(dir, 'data')], {
      PORT: String(await quietPort()),
      CASCADE_ADMIN_PORT: String(await quietPort()),
      TEMPORAL_PORT: String(await quietPort()),
      TEMPORAL_UI_PORT: String(await quietPort()),
      SIMULATOR_PORT: String(await quietPort()),
    });
    await service.waitFor(/^Demo cascade \w+: .* runs\. .*$/m, 200_000);
    service.child.kill('SIGTERM');
    expect(await service.exited, service.stderr().slice(-3000)).toBe(0);

    const output = service.stdout().split('\n');
    const missing = unmatchedLines(quickStartTranscript(README), output);
    expect(
      missing,
      `README.md "Quick start" lines the demo no longer prints (update the README from this run):\n` +
        service.stdout(),
    ).toEqual([]);
  });
});
