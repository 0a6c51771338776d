import type { StackSpec } from '../workflows/scripted-spacelift.js';

/** The cascades whose histories are recorded for replay. */
export const HISTORY_SCENARIOS: Record<string, { root: string; stacks: StackSpec[] }> = {
  chain: {
    root: 'net',
    stacks: [{ id: 'net' }, { id: 'db', dependsOn: ['net'] }, { id: 'app', dependsOn: ['db'] }],
  },
  diamond: {
    root: 'top',
    stacks: [
      { id: 'top' },
      { id: 'left', dependsOn: ['top'] },
      { id: 'right', dependsOn: ['top'] },
      { id: 'bottom', dependsOn: ['left', 'right'] },
    ],
  },
  failure: {
    root: 'root',
    stacks: [
      { id: 'root' },
      { id: 'mid', dependsOn: ['root'], outcome: 'FAILED' },
      { id: 'below', dependsOn: ['mid'] },
      { id: 'sibling', dependsOn: ['root'] },
    ],
  },
};
