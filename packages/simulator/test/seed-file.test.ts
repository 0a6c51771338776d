import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSeed, SeedFileError, SeedSchema, seededRandom } from '../src/index.js';

const DEMO_SEED = fileURLToPath(new URL('../../cascade/seeds/demo-seed.json', import.meta.url));
const BAD_SEED = fileURLToPath(new URL('./fixtures/bad-seed.json', import.meta.url));

describe("the public entry's seed loader", () => {
  it('loads and validates a seed file, defaults applied', () => {
    const seed = loadSeed(DEMO_SEED);
    expect(seed.stacks).toHaveLength(12);
    expect(seed.stacks[0]).toMatchObject({
      autodeploy: true,
      outcome: 'FINISHED',
      changesOutputs: 0,
      resources: 10,
      outputs: [
        { id: 'vpc_id', sensitive: false, description: 'The shared VPC' },
        { id: 'private_subnet_ids', sensitive: false },
      ],
    });
    // The demo's meaning: warehouse fails; the database password is sensitive.
    const byId = new Map(seed.stacks.map((s) => [s.id, s]));
    expect(byId.get('warehouse')!.outcome).toBe('FAILED');
    expect(byId.get('database')!.outputs).toContainEqual(
      expect.objectContaining({ id: 'password', sensitive: true }),
    );
    expect(seed.stacks.every((s) => s.outputs.length > 0)).toBe(true);
    expect(SeedSchema.parse(seed)).toEqual(seed);
  });

  it('names the file and what is wrong with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-'));
    writeFileSync(join(dir, 'broken.json'), '{ "stacks": [');
    const cases: Array<[string, string]> = [
      [BAD_SEED, `"${BAD_SEED}" is not a valid seed: stacks.0.outcome: Invalid option`],
      [join(dir, 'missing.json'), `cannot read "${join(dir, 'missing.json')}" (ENOENT)`],
      [join(dir, 'broken.json'), `"${join(dir, 'broken.json')}" is not valid JSON`],
    ];
    for (const [path, message] of cases) {
      let error: unknown;
      try {
        loadSeed(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SeedFileError);
      expect(error).toMatchObject({ path, message: expect.stringContaining(message) });
    }
  });
});

describe('seededRandom', () => {
  it('replays the same numbers in [0, 1) for the same seed', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(7).every((n) => n >= 0 && n < 1)).toBe(true);
  });
});
