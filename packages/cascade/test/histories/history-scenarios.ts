import { eventually, type EstateRig } from '../workflows/estate-rig.js';
import type { StackSpec } from '../workflows/scripted-spacelift.js';

export interface HistoryScenario {
  root: string;
  stacks: StackSpec[];
  /** What happens instead of a push of the root that cascades (operator actions among it). */
  script?: (rig: EstateRig) => Promise<void>;
}

/** The cascades whose histories are recorded for replay. */
export const HISTORY_SCENARIOS: Record<string, HistoryScenario> = {
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
  /** A freeze (an Update), a push held by it, an unfreeze (an Update) that lets it run. */
  freeze: {
    root: 'top',
    stacks: [{ id: 'top' }, { id: 'mid', dependsOn: ['top'] }, { id: 'low', dependsOn: ['mid'] }],
    script: async (rig) => {
      await rig.coordinator.freeze({ by: 'alice', reason: 'recorded for replay', until: null });
      const run = rig.push('top', null);
      rig.finish(run);
      await rig.until('mid', 'held');
      await rig.coordinator.unfreeze('bob');
      await rig.settled(run.id);
    },
  },
  /** A stack labelled cascade:approval held, rejected, then approved (Updates), and the resumed cascade. */
  approval: {
    root: 'top',
    stacks: [
      { id: 'top' },
      { id: 'gate', dependsOn: ['top'], labels: ['cascade:approval'] },
      { id: 'low', dependsOn: ['gate'] },
    ],
    script: async (rig) => {
      const run = rig.push('top', null);
      rig.finish(run);
      await rig.until('gate', 'held');
      await rig.coordinator.reject({
        cascadeId: run.id,
        stackId: 'gate',
        by: 'bob',
        note: 'recorded for replay',
      });
      const blocked = await rig.settled(run.id);
      await rig.coordinator.approve({ cascadeId: blocked.id, stackId: 'gate', by: 'alice', note: null });
      await rig.until('low', 'finished');
    },
  },
  /**
   * Early cutoff: a first push that cascades (its outputs read: the baselines), then a push whose
   * run changed nothing: the top decides on its outputs read and nothing below it runs.
   */
  cutoff: {
    root: 'top',
    stacks: [{ id: 'top' }, { id: 'mid', dependsOn: ['top'] }, { id: 'low', dependsOn: ['mid'] }],
    script: async (rig) => {
      const first = rig.push('top', null);
      rig.finish(first);
      await rig.settled(first.id);
      await eventually(async () =>
        (await rig.coordinator.estate()).cutoff!.outputsReads >= 2 ? true : undefined,
      );
      rig.spacelift.mock.store.stacks.setBehaviour('top', { outcome: 'NO_CHANGES' });
      const noop = rig.push('top', null);
      rig.finish(noop);
      await rig.until('top', 'up-to-date');
      await rig.settled(noop.id);
    },
  },
};
