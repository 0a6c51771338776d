import type { SeedBlueprint, SeedBlueprintStack } from './seed-schema.js';
import type { Spaces } from './spaces.js';
import type { StackSettings } from './stacks.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

export interface BlueprintInputRecord {
  id: string;
  name: string;
  default: string | null;
  type: string;
  description: string | null;
}

export interface BlueprintRecord {
  id: string;
  name: string;
  description: string | null;
  state: 'DRAFT' | 'PUBLISHED';
  labels: string[];
  space: string;
  inputs: BlueprintInputRecord[];
  stack: SeedBlueprintStack;
  createdAt: number;
  updatedAt: number;
}

const INPUT_REFERENCE = /\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g;

/** The account's blueprints (seeded only: the API here reads them and creates stacks from them). */
export class Blueprints {
  private readonly byId = new Map<string, BlueprintRecord>();

  constructor(
    private readonly spaces: Spaces,
    private readonly nowSeconds: () => number,
  ) {}

  list(): BlueprintRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): BlueprintRecord | null {
    return this.byId.get(id) ?? null;
  }

  addSeeded(seed: SeedBlueprint): void {
    if (this.byId.has(seed.id))
      throw new SpaceliftStoreError('CONFLICT', `blueprint "${seed.id}" already exists`);
    this.spaces.require(seed.space);
    const at = this.nowSeconds();
    this.byId.set(seed.id, {
      ...seed,
      inputs: seed.inputs.map((i) => ({ ...i, name: i.name ?? i.id })),
      createdAt: at,
      updatedAt: at,
    });
  }

  /** The blueprint's stack with `${{ inputs.<id> }}` replaced by the given values or the defaults. */
  stackSettings(id: string, given: ReadonlyArray<{ id: string; value: string }>): StackSettings {
    const blueprint = this.byId.get(id);
    if (!blueprint) throw notFound('blueprint', id);
    if (blueprint.state !== 'PUBLISHED') {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `blueprint "${id}" is a draft; publish it before creating stacks`,
      );
    }
    const values = new Map<string, string>();
    for (const input of blueprint.inputs) if (input.default !== null) values.set(input.id, input.default);
    for (const input of given) {
      if (!blueprint.inputs.some((i) => i.id === input.id)) {
        throw new SpaceliftStoreError('INVALID_INPUT', `blueprint "${id}" has no input "${input.id}"`);
      }
      values.set(input.id, input.value);
    }
    const missing = blueprint.inputs.filter((i) => !values.has(i.id)).map((i) => i.id);
    if (missing.length > 0) {
      throw new SpaceliftStoreError('INVALID_INPUT', `missing blueprint inputs: ${missing.join(', ')}`);
    }
    const fill = (s: string): string =>
      s.replace(INPUT_REFERENCE, (_, name: string) => values.get(name) ?? '');
    const t = blueprint.stack;
    return {
      name: fill(t.name),
      space: fill(t.space),
      description: t.description === null ? null : fill(t.description),
      repository: fill(t.repository),
      branch: fill(t.branch),
      projectRoot: t.projectRoot === null ? null : fill(t.projectRoot),
      administrative: t.administrative,
      autodeploy: t.autodeploy,
      labels: t.labels.map(fill),
    };
  }
}
