import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { CascadeActivities, RunRef } from '../activities/types.js';
import type {
  ApprovalRequest,
  CoordinatorInput,
  FreezeRequest,
  ResumeRequest,
  RunObservation,
} from '../cascade-contract.js';
import type { OutputsRead } from '../estate/cutoff-rule.js';
import { EstateModel } from '../estate/estate-model.js';
import { checkApprovalRequest, checkBy, checkFreeze, checkUnfreeze } from '../estate/operator-controls.js';
import type { EstateSnapshot } from '../estate/estate-snapshot.js';
import { packSnapshot, unpackSnapshot } from '../estate/snapshot-codec.js';
import {
  accountQuery,
  approveUpdate,
  cancelCascadeSignal,
  cascadesQuery,
  cascadeStatusQuery,
  configureSignal,
  controlsQuery,
  estateQuery,
  freezeUpdate,
  handOverUpdate,
  rejectUpdate,
  reconcileNowSignal,
  resumeUpdate,
  runStateSignal,
  stackStatusQuery,
  unconnectedStacksQuery,
  unfreezeUpdate,
} from '../coordinator-contract.js';

// Activities heartbeat every 2 s: a dead worker's task is retried after 10 s, not after the long timeouts.
const { triggerStackRun } = proxyActivities<CascadeActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
  },
});
// Polls and passes are repeated anyway: a failed one is tried again at the next interval.
// The change windows' edges, computed in UTC outside the workflow (no time zone database here).
const { changeWindowEdges } = proxyActivities<CascadeActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
  },
});
const { readRuns, reconcileEstate } = proxyActivities<CascadeActivities>({
  // Reading 10,000 stacks is 200 pages.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 3,
  },
});

// One outputs read per FINISHED run of a stack with dependents (early cutoff). A read that keeps
// failing decides nothing by itself: the run counts as a change, so a short retry is enough.
const { readStackOutputs } = proxyActivities<CascadeActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 3,
  },
});

/**
 * PATCH_RETIREMENT: how `keep-wake-timer` and `packed-snapshot` (and the plain `input.snapshot`
 * they replaced) leave the code. A coordinator continues as new at MAX_HISTORY_EVENTS, and its
 * reconciliation pass alone adds events every `reconcileIntervalMs`, so even an idle estate's
 * run is replaced within hours (about 10 h at the 60 s default). Once every deployment has run a
 * release with both patches for longer than that (no open run started before them:
 * `temporal workflow list --query "WorkflowType='stackDependencyChainWorkflow'"` shows each
 * run's start), the next release replaces each `patched(id)` with `deprecatePatch(id)` and keeps
 * only the new branch; the release after that removes `deprecatePatch` and the reading of a
 * plain `input.snapshot` (no open run can still have been continued with one). The replay test's
 * recorded histories are recorded again at each step.
 *
 * The operator-control patches of issue 18 (`cascade-lifecycle`, and those that follow it below)
 * retire the same way, one release after the last of them: `deprecatePatch(id)` with only the new
 * branch (the model's rules then always on, `ModelRules` gone), then nothing. Their snapshots
 * carry `lifecycle: 1`; the model's reading of older ones goes with `deprecatePatch`.
 *
 * `early-cutoff` (issue 19) retires the same way, on its own clock: one release after every
 * coordinator started before it has continued as new, `deprecatePatch('early-cutoff')` with the
 * rule always on (`ModelRules.cutoff` gone; `CASCADE_CUTOFF=off` still turns it off), then
 * nothing. Snapshots from before it carry no outputs baseline and no `cutoff` counts and are
 * read as "outputs never read": the first FINISHED run of each stack after it is a change.
 */
/** Past this many events the coordinator drains and continues as new (Temporal warns at 10,240). */
const MAX_HISTORY_EVENTS = 5_000;
/** Runs polled per activity: a lost-webhook storm is read in bounded steps. */
const POLL_BATCH = 50;
/** Outputs reads in flight at once: a burst of FINISHED runs is read in bounded steps. */
const MAX_OUTPUTS_READS = 20;

interface CarriedState {
  model: EstateSnapshot;
  graphDigest: string | null;
}

/**
 * The estate coordinator (workflow id: the estate id, one per estate). Every run state change
 * the receivers see arrives as a signal; the coordinator keeps the cascade model of
 * `estate/estate-model.ts`, triggers stacks when nothing upstream is still changing (at most
 * `maxParallel` at once), polls runs whose webhooks are late, and runs a reconciliation pass
 * every `reconcileIntervalMs` that finds changes nobody told it about and refreshes the graph.
 * Its state goes through continue-as-new, so its history stays small however long it lives:
 * deflated, as `packed` (runs continued before that carry it plain, as `input.snapshot`).
 */
export async function stackDependencyChainWorkflow(
  input: CoordinatorInput,
  packed?: Uint8Array,
): Promise<void> {
  const carried = (packed ? unpackSnapshot(packed) : input.snapshot) as CarriedState | undefined;
  let options = input.options;
  /** The account recorded when the coordinator started; activities of another account's worker refuse. */
  const account = input.account ?? null;
  const model = new EstateModel(options, carried?.model, {
    // Cascades end (completed, blocked, canceled) and later changes start their own instead of
    // joining an ended one: where a change reaches a canceled cascade's run this triggers what
    // the old rule dropped. Coordinators started before replay with the old rule.
    lifecycle: patched('cascade-lifecycle'),
    // A stack labelled cascade:approval waits for a person: a label a delivery of an older
    // history carried held nothing then, so it holds nothing when that history replays.
    approvals: patched('approval-gates'),
    // Early cutoff: a FINISHED run that changed nothing is not a change; older histories made
    // every FINISHED run one, and read no outputs.
    cutoff: patched('early-cutoff'),
    // See PATCH_RETIREMENT for both.
  });
  let graphDigest = carried?.graphDigest ?? null;
  const inbox: RunObservation[] = [];
  const cancels: string[] = [];
  let wake = false;
  let triggersInFlight = 0;
  let polling = false;
  let reconciling = false;
  /** A schedule of the change windows is being computed; none is asked for before `windowsRetryAt`. */
  let computingWindows = false;
  let windowsRetryAt = 0;
  /** A pass was asked for while one ran (see `reconcileNowSignal`). */
  let passAskedDuringPass = false;
  let nextReconcileAt = model.hasGraph ? Date.now() + options.reconcileIntervalMs : Date.now();
  // One wake timer kept across workflow tasks instead of a timer started and canceled by every
  // task (two history events and two server writes each). Coordinators started before this
  // change replay with the old waiting. See PATCH_RETIREMENT below.
  const keepWakeTimer = patched('keep-wake-timer');
  /** When the pending wake timer fires; Infinity with none pending. */
  let timerAt = Infinity;
  /** Set by a hand-over: nothing new starts, and the coordinator ends once its state is out. */
  let handingOverTo: string | null = null;
  /** Stacks whose outputs read is in flight (early cutoff). */
  const outputsReads = new Set<string>();
  const idle = () =>
    triggersInFlight === 0 && !polling && !reconciling && !computingWindows && outputsReads.size === 0;

  setHandler(runStateSignal, (...observations) => {
    inbox.push(...observations);
  });
  setHandler(cancelCascadeSignal, (id) => {
    cancels.push(id);
  });
  setHandler(reconcileNowSignal, (why) => {
    log.info('reconciliation pass asked for', { why });
    // A pass under way may have read the estate before the trouble ended: another follows it.
    if (reconciling) passAskedDuringPass = true;
    else nextReconcileAt = Math.min(nextReconcileAt, Date.now());
    wake = true;
  });
  setHandler(configureSignal, (next) => {
    options = next;
    model.setOptions(next);
    wake = true;
  });
  setHandler(
    handOverUpdate,
    async (to) => {
      handingOverTo = to;
      wake = true;
      await condition(idle);
      const now = Date.now();
      if (model.hasGraph) for (const obs of inbox.splice(0)) model.observe(obs, now);
      log.info('handing the estate over', { to });
      return packSnapshot({ model: model.snapshot(), graphDigest } satisfies CarriedState);
    },
    {
      validator: (to) => {
        if (to === workflowInfo().workflowId) throw new Error('a coordinator cannot hand over to itself');
        if (handingOverTo !== null) throw new Error(`already handed over to ${handingOverTo}`);
      },
    },
  );
  /** Triggers in flight, by stack: a freeze calls off their retries. */
  const triggerScopes = new Map<string, CancellationScope>();
  // Operator actions are validated Updates: a refusal reaches the caller with its reason.
  setHandler(
    freezeUpdate,
    (request) => {
      const freeze = model.freeze(request, Date.now());
      // Retries of triggers already sent stop; a run Spacelift created anyway goes on and is
      // seen (it serves the stack's need).
      for (const scope of triggerScopes.values()) scope.cancel();
      log.info('estate frozen', { ...freeze });
      wake = true;
      return freeze;
    },
    { validator: (request: FreezeRequest) => checkFreeze(request, model.controls, Date.now()) },
  );
  setHandler(
    unfreezeUpdate,
    (by) => {
      const answer = model.unfreeze(by.trim())!;
      log.info('estate unfrozen', { by: answer.by, waiting: answer.waiting.length });
      wake = true;
      return answer;
    },
    { validator: (by: string) => checkUnfreeze(by, model.controls) },
  );
  for (const [update, verdict] of [
    [approveUpdate, 'approved'],
    [rejectUpdate, 'rejected'],
  ] as const) {
    setHandler(
      update,
      (request) => {
        const decision = model.decide(request, verdict, Date.now());
        log.info(`stack ${verdict}`, { ...decision });
        wake = true;
        return decision;
      },
      {
        validator: (request: ApprovalRequest) => {
          checkApprovalRequest(request);
          model.checkVerdict(request, verdict);
        },
      },
    );
  }
  // A cascade pauses itself when CASCADE_MAX_FAILURES of its runs failed (an option: histories
  // recorded before it carry none, so they replay the same); a person resumes it.
  setHandler(
    resumeUpdate,
    (request) => {
      const answer = model.resume(request, Date.now());
      log.info('cascade resumed', { cascadeId: answer.cascadeId, by: answer.by });
      wake = true;
      return answer;
    },
    {
      validator: (request: ResumeRequest) => {
        checkBy(request.by);
        model.checkResume(request);
      },
    },
  );
  setHandler(controlsQuery, () => model.controlsView());
  setHandler(accountQuery, () => account);
  /** The last pass's stacks without a webhook made by `connect`. */
  let unconnected: string[] = [];
  setHandler(unconnectedStacksQuery, () => unconnected);
  setHandler(estateQuery, () => model.estate());
  setHandler(cascadeStatusQuery, (id) => model.findCascade(id));
  setHandler(cascadesQuery, (limit) => model.cascadeList(limit));
  setHandler(stackStatusQuery, (stackId) => (model.hasStack(stackId) ? model.stackView(stackId) : null));

  const trigger = (stackId: string, cascadeId: string) => {
    triggersInFlight++;
    const scope = new CancellationScope();
    triggerScopes.set(stackId, scope);
    scope
      .run(() =>
        triggerStackRun({ stackId, runType: options.runType, cascadeId, intentAt: Date.now(), account }),
      )
      .then(
        (run) => model.triggered(stackId, run.runId, run.state, run.createdAt, Date.now()),
        (err: unknown) => {
          if (isCancellation(err)) {
            log.info('trigger called off: the estate is frozen', { stackId });
            model.triggerHeld(stackId, Date.now());
            return;
          }
          const why = innermostMessage(err);
          log.warn('could not trigger a run', { stackId, why });
          model.triggerFailed(stackId, why);
        },
      )
      .finally(() => {
        triggerScopes.delete(stackId);
        triggersInFlight--;
        wake = true;
      });
  };

  /** One outputs read after a FINISHED run: its answer decides the run, or is the next one's baseline. */
  const readOutputs = (stackId: string, runId: string) => {
    outputsReads.add(stackId);
    const decide = (outputs: OutputsRead | null) => {
      const verdict = model.outputsRead(stackId, runId, outputs, Date.now());
      if (verdict) log.info(verdict.change ? 'a change' : 'cut off: not a change', { stackId, ...verdict });
    };
    readStackOutputs(stackId, account)
      .then(decide, (err: unknown) => {
        log.warn('could not read the outputs: the run counts as a change', {
          stackId,
          runId,
          why: innermostMessage(err),
        });
        decide(null);
      })
      .finally(() => {
        outputsReads.delete(stackId);
        wake = true;
      });
  };

  const poll = (runs: RunRef[]) => {
    polling = true;
    readRuns(runs, account)
      .then(
        (result) => {
          const now = Date.now();
          for (const obs of result.observations) model.observe(obs, now);
          for (const ref of result.vanished) model.runVanished(ref.stackId, ref.runId, now);
        },
        (err: unknown) => log.warn('could not poll runs', { why: innermostMessage(err) }),
      )
      .finally(() => {
        polling = false;
        wake = true;
      });
  };

  const reconcile = () => {
    reconciling = true;
    reconcileEstate({
      labelPrefix: options.labelPrefix,
      cursor: model.reconcileCursor,
      graphDigest,
      account,
    })
      .then(
        (result) => {
          const now = Date.now();
          if (result.nodes) model.setGraph(result.nodes, now);
          graphDigest = result.graphDigest;
          model.reconcileCursor = result.cursor;
          unconnected = result.unconnected ?? [];
          for (const obs of result.observations) model.observe(obs, now);
          model.retryTriggerErrors();
        },
        (err: unknown) => log.warn('reconciliation pass failed', { why: innermostMessage(err) }),
      )
      .finally(() => {
        reconciling = false;
        nextReconcileAt = passAskedDuringPass ? Date.now() : Date.now() + options.reconcileIntervalMs;
        passAskedDuringPass = false;
        wake = true;
      });
  };

  for (;;) {
    if (handingOverTo !== null) {
      // Only after the update has answered: its state is the next coordinator's now.
      await condition(() => idle() && allHandlersFinished());
      return;
    }
    const now = Date.now();
    model.tick(now);
    // Approvals not given within CASCADE_APPROVAL_TIMEOUT end their stacks blocked.
    model.expireApprovals(now);
    const freeze = model.controls.freeze;
    if (freeze?.until != null && now >= freeze.until) {
      const answer = model.unfreeze(`the end time ${freeze.by} set`)!;
      log.info('the freeze reached its end', { waiting: answer.waiting.length });
    }
    // Deliveries that came before the first read of the graph wait for it.
    if (model.hasGraph) {
      for (const obs of inbox.splice(0)) model.observe(obs, now);
      for (const id of cancels.splice(0)) model.cancel(id, now);
    }
    const info = workflowInfo();
    const draining = info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS;
    const settled = () => idle() && inbox.length === 0 && cancels.length === 0;
    // Open update handlers finish first: their answers belong to this run.
    if (draining && settled()) await condition(allHandlersFinished);
    if (draining) {
      if (settled() && allHandlersFinished()) {
        const state: CarriedState = { model: model.snapshot(), graphDigest };
        // See PATCH_RETIREMENT.
        if (patched('packed-snapshot')) {
          return await continueAsNew<typeof stackDependencyChainWorkflow>(
            { options, account },
            packSnapshot(state),
          );
        }
        return await continueAsNew<typeof stackDependencyChainWorkflow>({
          options,
          account,
          snapshot: state,
        });
      }
    } else {
      if (model.hasGraph) {
        const room = Math.max(1, Math.floor(options.maxParallel)) - model.ownInFlight();
        for (const { stackId, cascadeId } of model.takeReady(room)) trigger(stackId, cascadeId);
      }
      if (!reconciling && now >= nextReconcileAt) reconcile();
      const windows = computingWindows || now < windowsRetryAt ? null : model.windowsDue(now);
      if (windows) {
        computingWindows = true;
        changeWindowEdges({ windows, from: now, days: 14 })
          .then(
            (schedule) => model.setWindowSchedule(schedule),
            (err: unknown) => {
              log.warn('could not compute the change windows', { why: innermostMessage(err) });
              windowsRetryAt = Date.now() + 60_000;
            },
          )
          .finally(() => {
            computingWindows = false;
            wake = true;
          });
      }
      // One read per stack at a time: a later FINISHED run's read waits for the one in flight.
      for (const { stackId, runId } of model.outputsReads()) {
        if (outputsReads.size >= MAX_OUTPUTS_READS) break;
        if (!outputsReads.has(stackId)) readOutputs(stackId, runId);
      }
      if (!polling && model.hasGraph) {
        const quiet = model.quietRuns(now, options.pollIntervalMs).slice(0, POLL_BATCH);
        if (quiet.length > 0) poll(quiet);
      }
    }
    const nextQuiet = polling ? null : model.nextQuietAt(options.pollIntervalMs);
    const wakeAt = Math.min(
      reconciling ? Infinity : nextReconcileAt,
      nextQuiet ?? Infinity,
      // A freeze with an end, an approval that times out: a timer wakes the coordinator.
      model.controls.freeze?.until ?? Infinity,
      model.nextApprovalDeadline() ?? Infinity,
      // A change window opening or closing.
      model.nextWindowEdge() ?? Infinity,
    );
    wake = false;
    const ready = () => wake || (model.hasGraph && (inbox.length > 0 || cancels.length > 0));
    if (keepWakeTimer) {
      // A pending timer that fires too early only wakes the loop once, which sets the next one.
      if (wakeAt < timerAt) {
        const at = wakeAt;
        timerAt = at;
        void sleep(Math.max(1, at - Date.now())).then(() => {
          if (timerAt === at) timerAt = Infinity;
          wake = true;
        });
      }
      await condition(ready);
    } else if (wakeAt === Infinity) await condition(ready);
    else await condition(ready, Math.max(1, wakeAt - Date.now()));
  }
}

/** Temporal wraps failures (activity -> application): the innermost message says what went wrong. */
function innermostMessage(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
