import { ulid } from './ids.js';
import type { Stacks } from './stacks.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

/** A native Spacelift stack dependency: `stackId` runs after `dependsOnStackId`. */
export interface DependencyRecord {
  id: string;
  stackId: string;
  dependsOnStackId: string;
  triggerAlways: boolean;
}

/** Native stack dependencies (`stackDependencyCreate`...), apart from `dependsOn:` labels. */
export class StackDependencies {
  private readonly byId = new Map<string, DependencyRecord>();

  constructor(
    private readonly stacks: Stacks,
    private readonly now: () => number,
  ) {}

  list(): DependencyRecord[] {
    return [...this.byId.values()];
  }

  /** What `stackId` depends on. */
  upstreamOf(stackId: string): DependencyRecord[] {
    return this.list().filter((d) => d.stackId === stackId);
  }

  /** What depends on `stackId`. */
  downstreamOf(stackId: string): DependencyRecord[] {
    return this.list().filter((d) => d.dependsOnStackId === stackId);
  }

  /** Creating an edge that exists returns it; an edge closing a cycle is refused, as Spacelift does. */
  create(stackId: string, dependsOnStackId: string): DependencyRecord {
    this.stacks.require(stackId);
    this.stacks.require(dependsOnStackId);
    if (stackId === dependsOnStackId)
      throw new SpaceliftStoreError('INVALID_INPUT', 'a stack cannot depend on itself');
    const existing = this.list().find(
      (d) => d.stackId === stackId && d.dependsOnStackId === dependsOnStackId,
    );
    if (existing) return existing;
    if (this.reaches(dependsOnStackId, stackId)) {
      throw new SpaceliftStoreError(
        'INVALID_INPUT',
        `stack "${dependsOnStackId}" already depends on "${stackId}"; the dependency would make a cycle`,
      );
    }
    const dep: DependencyRecord = { id: ulid(this.now()), stackId, dependsOnStackId, triggerAlways: false };
    this.byId.set(dep.id, dep);
    return dep;
  }

  delete(id: string): DependencyRecord {
    const dep = this.byId.get(id);
    if (!dep) throw notFound('stack dependency', id);
    this.byId.delete(id);
    return dep;
  }

  /** Drops every edge touching a deleted stack. */
  removeStack(stackId: string): void {
    for (const [id, d] of this.byId)
      if (d.stackId === stackId || d.dependsOnStackId === stackId) this.byId.delete(id);
  }

  /** Whether `from` depends on `to`, directly or through others. */
  private reaches(from: string, to: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current === to) return true;
      if (seen.has(current)) continue;
      seen.add(current);
      for (const d of this.upstreamOf(current)) stack.push(d.dependsOnStackId);
    }
    return false;
  }
}
