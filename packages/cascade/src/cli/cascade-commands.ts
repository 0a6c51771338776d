import type { SpaceliftApi } from 'spacelift-client';
import type { CascadeSummary, CascadeView, StackView } from '../cascade-contract.js';
import { observationOf } from '../activities/run-observation.js';
import { runLink } from '../estate/estate-views.js';
import type { Coordinator } from '../temporal/coordinator.js';
import { describeCascade, exitCodeOf, EXIT_CASCADE_FAILED, EXIT_SUCCESS } from './cascade-report.js';
import { followRun } from './follow-cascade.js';
import { controlsLines } from './operator-commands.js';
import { UnknownStackError } from './graph-commands.js';
import { print, type Output } from './output.js';

/**
 * Triggers a tracked run of `stackId` (as a push would) and tells the coordinator at once, so
 * the stacks below wait for it even before its first webhook. Returns the exit code.
 */
export async function triggerCommand(
  api: SpaceliftApi,
  coordinator: Coordinator,
  stackId: string,
  flags: { follow: boolean },
  o: Output,
): Promise<number> {
  // Same clear usage error as `plan` and `graph` (Spacelift's own answer is a GraphQL error).
  if ((await api.getStackById(stackId, { queryFields: ['id'] })) === null)
    throw new UnknownStackError(stackId);
  const run = await api.triggerRun(stackId, { runType: 'TRACKED' });
  await coordinator.observe(observationOf(stackId, run));
  if (!o.json) o.out(`Triggered run ${run.id} of stack ${stackId}.`);
  if (!flags.follow) {
    const runUrl = runLink(coordinator.ref.options.runUrlBase, stackId, run.id);
    const follow = followCommand(run.id);
    print(
      o,
      { runId: run.id, runUrl, follow },
      () => `Run: ${runUrl}\nFollow the cascade it starts or joins once it finishes: ${follow}`,
    );
    return EXIT_SUCCESS;
  }
  const result = await followRun(coordinator, stackId, run.id, {
    out: o.json ? () => undefined : o.out,
    tty: o.tty && !o.json,
  });
  if (o.json) print(o, { runId: run.id, ...result }, () => '');
  switch (result.kind) {
    case 'cascade':
      return exitCodeOf(result.view);
    case 'run-failed':
      if (!o.json) o.out(`Run ${run.id} of ${stackId} ended ${result.runState}: nothing cascades from it.`);
      return EXIT_CASCADE_FAILED;
    case 'nothing-downstream':
      if (!o.json) o.out(`Run ${run.id} finished; no stack depends on ${stackId}, so nothing else runs.`);
      return EXIT_SUCCESS;
  }
}

const summaryLine = (c: CascadeSummary) =>
  `${c.id}  ${c.phase.padEnd(9)}  ${new Date(c.startedAt).toISOString()}  from ${c.roots.join(', ') || '?'}  ` +
  `${c.counts.finished}/${c.total} finished` +
  (c.counts.failed + c.counts.blocked ? `, ${c.counts.failed} failed, ${c.counts.blocked} blocked` : '') +
  (c.endedAt !== null ? `, ended after ${Math.round((c.endedAt - c.startedAt) / 1000)} s` : '') +
  (c.joinedBy.length ? `; joined by ${c.joinedBy.join(', ')}` : '') +
  (c.resumes.length ? `; resumes ${c.resumes.join(', ')}` : '') +
  (c.merged.length ? `; merged ${c.merged.join(', ')}` : '') +
  (c.heldOn.length ? `; held: ${c.heldOn.join('; ')}` : '');

export async function listCommand(coordinator: Coordinator, limit: number, o: Output): Promise<number> {
  const entries = await coordinator.cascades(limit);
  const above = o.json ? [] : await controlsAbove(coordinator);
  print(o, entries, () =>
    [...above, ...(entries.length === 0 ? ['No cascades yet.'] : entries.map(summaryLine))].join('\n'),
  );
  return EXIT_SUCCESS;
}

/** What operators decided that every view says first (a freeze); none from a coordinator that cannot say. */
async function controlsAbove(coordinator: Coordinator): Promise<string[]> {
  const controls = await coordinator.controls().catch(() => null);
  return controlsLines(controls);
}

/** Thrown for an id that names no cascade the coordinator remembers. */
export class UnknownCascadeError extends Error {
  override readonly name = 'UnknownCascadeError';
  constructor(readonly id: string) {
    super(
      `No cascade "${id}" (or one caused by run "${id}"). List them with \`spacelift-cascade cascades list\`.`,
    );
  }
}

/** Thrown for the id of a run the coordinator knows that has no cascade: not finished yet, or none came of it. */
export class NoCascadeOfRunError extends Error {
  override readonly name = 'NoCascadeOfRunError';
  constructor(
    readonly runId: string,
    readonly stackId: string,
    stack: StackView,
  ) {
    super(
      stack.state === 'finished'
        ? `run ${runId} of ${stackId} finished and started no cascade: no stack depends on ${stackId}, or the run changed nothing.`
        : stack.state === 'failed'
          ? `run ${runId} of ${stackId} ended ${stack.runState}: nothing cascades from it.`
          : stack.state === 'up-to-date'
            ? `run ${runId} of ${stackId}: up to date: ${stack.reason}, so nothing cascades from it.`
            : `no cascade yet: run ${runId} of ${stackId} is ${'runState' in stack ? stack.runState : stack.state}; ` +
              `the cascade it starts (or joins) shows here once it finishes (\`${followCommand(runId)}\`).`,
    );
  }
}

/** The command that shows the cascade a run starts or joins. */
const followCommand = (runId: string) => `spacelift-cascade cascades status ${runId}`;

/**
 * The cascade of an id (its own, or that of a run in it); for the id of a run in no cascade (yet),
 * an error that says what the run is doing.
 */
async function cascadeOf(coordinator: Coordinator, id: string): Promise<CascadeView> {
  const view = await coordinator.cascade(id);
  if (view !== null) return view;
  const estate = await coordinator.estate();
  for (const [stackId, stack] of Object.entries(estate.stacks)) {
    if ('runId' in stack && stack.runId === id) throw new NoCascadeOfRunError(id, stackId, stack);
  }
  throw new UnknownCascadeError(id);
}

export async function statusCommand(coordinator: Coordinator, id: string, o: Output): Promise<number> {
  const view = await cascadeOf(coordinator, id);
  const above = o.json ? [] : await controlsAbove(coordinator);
  print(o, view, () => [...above, describeCascade(view)].join('\n'));
  return EXIT_SUCCESS;
}

export async function cancelCommand(coordinator: Coordinator, id: string, o: Output): Promise<number> {
  const view = await cascadeOf(coordinator, id);
  await coordinator.cancel(view.id);
  print(
    o,
    { cascadeId: view.id, cancelRequested: true },
    () => `Cancellation of ${view.id} requested: stacks not yet triggered will not be; runs in flight go on.`,
  );
  return EXIT_SUCCESS;
}
