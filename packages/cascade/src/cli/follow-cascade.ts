import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { CascadeView, StackView } from '../cascade-contract.js';
import type { Coordinator } from '../temporal/coordinator.js';
import {
  changedStackLines,
  describeCascade,
  describeStack,
  isCascadeOver,
  progressLine,
} from './cascade-report.js';

export interface FollowOptions {
  out: (line: string) => void;
  /** true: one progress line rewritten in place; false: one plain line per change. */
  tty: boolean;
  /** Give up when no cascade showed up this long after the run ended. */
  waitForCascadeMs?: number;
  intervalMs?: number;
}

/** How following a run ended: the cascade it fed, or why there is none. */
export type FollowResult =
  | { kind: 'cascade'; view: CascadeView }
  | { kind: 'run-failed'; runState: string }
  | { kind: 'nothing-downstream' };

/**
 * Follows the change made by run `runId` of `stackId`: the run itself until it ends, then the
 * cascade it started or joined until that cascade ends (completed, blocked or canceled; a held
 * one is followed on, saying what holds it).
 */
export async function followRun(
  coordinator: Coordinator,
  stackId: string,
  runId: string,
  options: FollowOptions,
): Promise<FollowResult> {
  const interval = options.intervalMs ?? 500;
  let previous: CascadeView | null = null;
  let endedAt: number | null = null;
  /** The last line said of the run itself; null once it has ended and been said. */
  let ownLine: string | null = '';
  for (;;) {
    let view: CascadeView | null = null;
    try {
      view = await coordinator.cascade(runId);
      if (ownLine !== null) {
        const stack = await coordinator.stack(stackId);
        const mine = stack !== null && 'runId' in stack && stack.runId === runId ? stack : null;
        // Once its change is in a cascade the stack may run again: its own run finished.
        const line = mine
          ? describeStack(stackId, mine)
          : view
            ? `${stackId}: finished (run ${runId})`
            : null;
        if (line !== null && line !== ownLine) options.out(line);
        if (line !== null) ownLine = line;
        const ended = view !== null || (mine !== null && isEnded(mine));
        if (ended) ownLine = null;
        if (view === null && mine?.state === 'failed') return { kind: 'run-failed', runState: mine.runState };
        if (ended) endedAt ??= Date.now();
      }
      if (view === null && endedAt !== null && Date.now() - endedAt > (options.waitForCascadeMs ?? 3_000)) {
        return { kind: 'nothing-downstream' };
      }
    } catch (err) {
      // The coordinator starts with the first signal; its worker may not have answered a query yet.
      const notYet =
        err instanceof WorkflowNotFoundError || (err as Error).name === 'QueryNotRegisteredError';
      if (!notYet) throw err;
    }
    if (view) {
      const changes = changedStackLines(previous, view);
      if (options.tty) {
        // Stack changes scroll above a progress line that is rewritten in place.
        process.stdout.write('\r\x1b[2K');
        for (const line of changes) options.out(line);
        process.stdout.write(progressLine(view));
      } else {
        for (const line of changes) options.out(line);
      }
      previous = view;
      if (isCascadeOver(view)) {
        if (options.tty) process.stdout.write('\n');
        options.out(describeCascade(view));
        return { kind: 'cascade', view };
      }
    }
    await sleep(interval);
  }
}

const isEnded = (stack: StackView): boolean =>
  stack.state === 'finished' || stack.state === 'failed' || stack.state === 'up-to-date';
