import { readFileSync } from 'node:fs';
import { SeedSchema, type Seed } from './spacelift/seed-schema.js';

/** A seed file that cannot be read, is not JSON or does not match `SeedSchema`; the message says which. */
export class SeedFileError extends Error {
  override readonly name = 'SeedFileError';

  constructor(
    message: string,
    /** The file at fault. */
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * The JSON of a seed file, not yet validated (the simulator's `--seed` validates it with the
 * rest of its options).
 *
 * @throws {SeedFileError} when the file cannot be read or is not JSON.
 */
export function readSeedFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SeedFileError(`cannot read "${path}" (${code}); pass the path of a JSON seed file.`, path);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SeedFileError(`"${path}" is not valid JSON: ${(error as Error).message}`, path);
  }
}

/**
 * Reads and validates a seed file (the format of `--seed`, `startSimulator({ seed })` and
 * `MockSpacelift`), with its defaults applied.
 *
 * @throws {SeedFileError} naming the file and, for a bad seed, each field at fault.
 */
export function loadSeed(path: string): Seed {
  const parsed = SeedSchema.safeParse(readSeedFile(path));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(seed)'}: ${issue.message}`,
  );
  throw new SeedFileError(`"${path}" is not a valid seed: ${problems.join('; ')}`, path);
}
