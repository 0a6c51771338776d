import { SpaceliftValidationError } from './errors.js';
import type { LabelChange } from './types.js';

/**
 * The labels after `change`: kept labels stay in their order, new ones are appended once.
 * A label both added and removed is refused as ambiguous.
 */
export function applyLabelChange(labels: readonly string[], change: LabelChange): string[] {
  const add = change.add ?? [];
  const remove = new Set(change.remove ?? []);
  const both = add.filter((label) => remove.has(label));
  if (both.length > 0) {
    throw new SpaceliftValidationError(
      `Labels ${JSON.stringify(both)} are both added and removed; list each in only one of add/remove.`,
    );
  }
  const result = labels.filter((label) => !remove.has(label));
  for (const label of add) if (!result.includes(label)) result.push(label);
  return result;
}
