import { slugify, ulid } from './ids.js';
import type { SeedSpace } from './seed-schema.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

/** The space every account has; it cannot be changed or deleted. */
export const ROOT_SPACE_ID = 'root';

/** A space, with the schema's field names (resolvers return records as they are). */
export interface SpaceRecord {
  id: string;
  name: string;
  description: string;
  parentSpace: string | null;
  inheritEntities: boolean;
  labels: string[];
}

/** `SpaceInput` of `spaceCreate` / `spaceUpdate`. */
export interface SpaceSettings {
  name: string;
  description?: string | null;
  parentSpace: string;
  inheritEntities?: boolean | null;
  labels?: string[] | null;
}

/** The account's spaces, the tree of which always starts at {@link ROOT_SPACE_ID}. */
export class Spaces {
  private readonly byId = new Map<string, SpaceRecord>();

  constructor(private readonly now: () => number) {
    this.byId.set(ROOT_SPACE_ID, {
      id: ROOT_SPACE_ID,
      name: 'root',
      description: 'The root space',
      parentSpace: null,
      inheritEntities: false,
      labels: [],
    });
  }

  list(): SpaceRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): SpaceRecord | null {
    return this.byId.get(id) ?? null;
  }

  require(id: string): SpaceRecord {
    const space = this.byId.get(id);
    if (!space) throw notFound('space', id);
    return space;
  }

  addSeeded(seed: SeedSpace): void {
    if (this.byId.has(seed.id))
      throw new SpaceliftStoreError('CONFLICT', `space "${seed.id}" already exists`);
    this.requireParent(seed.parentSpace);
    this.byId.set(seed.id, { ...seed, name: seed.name ?? seed.id, labels: [...seed.labels] });
  }

  create(input: SpaceSettings): SpaceRecord {
    this.requireParent(input.parentSpace);
    const space: SpaceRecord = {
      id: `${slugify(input.name)}-${ulid(this.now())}`,
      name: input.name,
      description: input.description ?? '',
      parentSpace: input.parentSpace,
      inheritEntities: input.inheritEntities ?? false,
      labels: [...(input.labels ?? [])],
    };
    this.byId.set(space.id, space);
    return space;
  }

  update(id: string, input: SpaceSettings): SpaceRecord {
    const space = this.require(id);
    if (id === ROOT_SPACE_ID)
      throw new SpaceliftStoreError('INVALID_INPUT', 'the root space cannot be changed');
    this.requireParent(input.parentSpace);
    if (this.isWithin(input.parentSpace, id)) {
      throw new SpaceliftStoreError(
        'INVALID_INPUT',
        `space "${id}" cannot be moved into itself or its children`,
      );
    }
    Object.assign(space, {
      name: input.name,
      description: input.description ?? '',
      parentSpace: input.parentSpace,
      inheritEntities: input.inheritEntities ?? false,
      labels: [...(input.labels ?? [])],
    });
    return space;
  }

  /** `holdsStacks` tells whether a space still contains stacks (stacks are kept elsewhere). */
  delete(id: string, holdsStacks: (spaceId: string) => boolean): SpaceRecord {
    const space = this.require(id);
    if (id === ROOT_SPACE_ID)
      throw new SpaceliftStoreError('INVALID_INPUT', 'the root space cannot be deleted');
    if (this.list().some((s) => s.parentSpace === id)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `space "${id}" has child spaces; delete or move them first`,
      );
    }
    if (holdsStacks(id)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `space "${id}" still contains stacks; delete or move them first`,
      );
    }
    this.byId.delete(id);
    return space;
  }

  private requireParent(id: string): void {
    if (!this.byId.has(id)) throw notFound('parent space', id);
  }

  private isWithin(spaceId: string, ancestorId: string): boolean {
    for (let s = this.byId.get(spaceId); s; s = this.byId.get(s.parentSpace ?? '')) {
      if (s.id === ancestorId) return true;
    }
    return false;
  }
}
