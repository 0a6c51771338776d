import { describe, expect, it } from 'vitest';
import { SpaceliftValidationError } from 'spacelift-client';
import { applyLabelChange } from '../src/label-change.js';

describe('applyLabelChange', () => {
  it('keeps order, removes, and appends new labels once', () => {
    expect(applyLabelChange(['a', 'b', 'c'], { add: ['d', 'a', 'd'], remove: ['b'] })).toEqual([
      'a',
      'c',
      'd',
    ]);
  });

  it('leaves labels as they are for an empty change', () => {
    expect(applyLabelChange(['a'], {})).toEqual(['a']);
  });

  it('refuses a label both added and removed', () => {
    expect(() => applyLabelChange([], { add: ['x'], remove: ['x'] })).toThrow(SpaceliftValidationError);
  });
});
