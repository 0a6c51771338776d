import type { StackRecord } from '../dashboard/estate-graph.js';

/**
 * The estate as the last reconciliation pass read it (names, spaces, labels, native
 * dependencies), kept in the process that runs the worker: the dashboard draws from it instead
 * of reading every stack again, so the pass stays the only estate-wide read.
 */
export class EstateCatalog {
  private latest: { records: StackRecord[]; at: number } | null = null;

  update(records: StackRecord[], at: number): void {
    this.latest = { records, at };
  }

  /** The last pass's stacks, or null before the first pass or when older than `maxAgeMs`. */
  read(maxAgeMs: number, now = Date.now()): StackRecord[] | null {
    return this.latest && now - this.latest.at <= maxAgeMs ? this.latest.records : null;
  }
}
