/**
 * The shapes that cross process boundaries between the webhook receiver, Temporal workflows
 * and the CLI. Plain data only (workflow code imports this file, so no Node built-ins here).
 */

/** A run state change as the webhook receiver normalises it (both payload shapes). */
export interface RunEvent {
  runId: string;
  stackId: string;
  state: string;
  /** Grows with each state change of one run; null when the payload has none (notification policy). */
  stateVersion: number | null;
  runType: string;
  branch: string | null;
  commitSha: string | null;
  /** Unix seconds. */
  timestamp: number;
  /** Unix milliseconds of the state change when the payload has them (`timestamp_millis`). */
  timestampMillis: number | null;
  /** Unix seconds the run was created, when the payload says. */
  runCreatedAt: number | null;
  driftDetection: boolean;
  spaceId: string | null;
  stackName: string | null;
  /** null when the payload does not carry the stack's labels. */
  stackLabels: string[] | null;
  account: string | null;
  triggeredBy: string | null;
  /** What the run's plan added, changed and deleted (`run.delta`); null when the payload has none. */
  delta: RunDelta | null;
}

/**
 * A run's resource delta: what its plan added, changed and deleted (the webhook payload's
 * `run.delta`, the API's `Run.delta` counts). The stack's resource total is no change, so it is
 * left out.
 */
export interface RunDelta {
  added: number;
  changed: number;
  deleted: number;
}

/**
 * What the coordinator learns about one run, from a webhook (`runStateSignal`), a poll or a
 * reconciliation pass: the same shape whatever the source.
 */
export interface RunObservation {
  stackId: string;
  runId: string;
  state: string;
  /** Grows with each state change of the run; null when unknown. */
  stateVersion: number | null;
  /** TRACKED, PROPOSED, TASK... */
  runType: string;
  triggeredBy: string | null;
  /** Unix seconds the run was created (Spacelift's clock); null when unknown. */
  createdAt: number | null;
  /** Unix milliseconds the run was created, when a source knows them (its QUEUED delivery). */
  createdAtMs?: number | null;
  /** Unix milliseconds of this state (Spacelift's clock), rounded up when the source has whole seconds. */
  at: number;
  driftDetection: boolean;
  /** The stack's labels as this source saw them (refreshes the graph); null when not carried. */
  stackLabels: string[] | null;
  /**
   * An ended run's delta, when the source says (a webhook's `run.delta`, the API's run read);
   * null or absent when unknown, and early cutoff then counts its FINISHED run as a change.
   */
  delta?: RunDelta | null;
}

/** How the coordinator treats drift-detection runs. */
export type DriftRuns = 'cascade' | 'ignore';

export interface CascadeOptions {
  /** Label prefix declaring a dependency; default `dependsOn:`. */
  labelPrefix: string;
  /** How many stacks the coordinator has triggered runs of at once, across the estate. */
  maxParallel: number;
  /** Run type dependents get; default TRACKED. */
  runType: 'TRACKED' | 'PROPOSED';
  /** Polling of a run's state when no webhook came for this long. */
  pollIntervalMs: number;
  /** Period of the reconciliation pass that finds changes nobody told us about. */
  reconcileIntervalMs: number;
  /** Base URL for run links, e.g. https://acme.app.spacelift.io */
  runUrlBase: string;
  /** Whether a finished drift-detection run is a change. */
  driftRuns: DriftRuns;
  /** A run awaiting confirmation longer than this blocks its stack (shown so); null or absent: never. */
  confirmationTimeoutMs?: number | null;
  /** A stack awaiting approval longer than this ends blocked (CASCADE_APPROVAL_TIMEOUT); null or absent: never. */
  approvalTimeoutMs?: number | null;
  /** A cascade pauses itself when this many of its runs failed (CASCADE_MAX_FAILURES); null or absent: never. */
  maxFailures?: number | null;
  /** When triggers may be decided (CASCADE_CHANGE_WINDOWS, CASCADE_CHANGE_WINDOWS_<NAME>); null or absent: always. */
  changeWindows?: ChangeWindows | null;
  /**
   * Early cutoff (`CASCADE_CUTOFF`): a FINISHED run that changed nothing (no resource delta, the
   * same outputs as after the stack's previous FINISHED run) is not a change for its dependents.
   * false: every FINISHED run is a change. Absent: on.
   */
  cutoff?: boolean;
}

/** A stack's state in the cascade model, as queries, the CLI and JSON show it. */
export type StackView =
  | { state: 'idle' }
  | { state: 'waiting'; waitingFor: string[] }
  | { state: 'blocked'; blockedBy: string; reason: string }
  | { state: 'cyclic'; cycle: string }
  | { state: 'triggering' }
  | {
      state: 'queued' | 'running' | 'awaiting-confirmation';
      runId: string;
      runUrl: string;
      runState: string;
    }
  | { state: 'finished'; runId: string; runUrl: string }
  /** Early cutoff: its run finished; its outputs are being read to decide whether it changed anything. */
  | { state: 'deciding'; runId: string; runUrl: string }
  /**
   * Early cutoff: a run that changed nothing made it up to date, the stack's own (`spared`: the
   * stacks that no longer need a run because of it) or an upstream's (`reason` names it; the run
   * link is that run's).
   */
  | { state: 'up-to-date'; runId: string; runUrl: string; reason: string; spared: string[] }
  | { state: 'failed'; runId: string; runUrl: string; runState: string }
  | { state: 'canceled'; reason: string }
  | {
      state: 'held';
      hold: HoldKind;
      reason: string;
      heldSince: number;
      /** The cascade whose approval (or pause) holds it. */
      cascadeId?: string;
    };

/**
 * What holds a stack that could run now: a freeze of the estate, a closed change window, a
 * pending approval, a paused cascade.
 */
export type HoldKind = 'freeze' | 'window' | 'approval' | 'pause';

/** A freeze of the estate: no trigger is decided while it holds; needs keep accumulating. */
export interface FreezeView {
  /** Unix ms (coordinator clock). */
  since: number;
  /** Who froze it (the CLI's OS user or --as, the name typed on the dashboard). */
  by: string;
  reason: string | null;
  /** Unix ms it lifts by itself; null: until someone unfreezes. */
  until: number | null;
}

/** A request to freeze the estate. */
export interface FreezeRequest {
  by: string;
  reason?: string | null;
  /** Unix ms; in the future. */
  until?: number | null;
}

/** What an unfreeze lifted, and the stacks that may run now (each once, in order). */
export interface UnfreezeAnswer {
  freeze: FreezeView;
  by: string;
  waiting: string[];
}

/** A person's go-ahead (or refusal) for a stack labelled `cascade:approval`, in one cascade. */
export interface ApprovalRequest {
  /** The cascade (its id, or the id of a run in it). */
  cascadeId: string;
  stackId: string;
  by: string;
  note?: string | null;
}

/** An approval or a rejection the coordinator recorded. */
export interface ApprovalDecision {
  cascadeId: string;
  stackId: string;
  verdict: 'approved' | 'rejected';
  by: string;
  /** Unix ms (coordinator clock). */
  at: number;
  note: string | null;
}

/** A stack that could run but waits for a person's approval. */
export interface PendingApproval {
  cascadeId: string;
  stackId: string;
  /** Unix ms (coordinator clock) it started to wait for it. */
  since: number;
}

/** One part of a change window: on these weekdays, from `start` to `end` (minutes of the day) in `zone`. */
export interface WindowPart {
  /** 0 Sunday ... 6 Saturday. */
  days: number[];
  start: number;
  /** At or before `start`: the window crosses midnight. */
  end: number;
  /** An IANA time zone. */
  zone: string;
  /** As configured, e.g. "Mon-Fri 09:00-17:00 Europe/Berlin". */
  text: string;
}

/** The change windows: the estate's (CASCADE_CHANGE_WINDOWS) and the named ones a stack's `cascade:window:<name>` picks. */
export interface ChangeWindows {
  estate: WindowPart[] | null;
  named: Record<string, WindowPart[]>;
}

/** A time a window is open, in UTC ms, and when it opens in its own zone ("Mon 09:00 (Europe/Berlin)"). */
export interface WindowInterval {
  start: number;
  end: number;
  opens: string;
}

/** The windows' open intervals, computed outside the workflow (`''`: the estate's window). */
export interface WindowSchedule {
  /** The windows it was computed for (see `windowsKey`). */
  key: string;
  computedAt: number;
  /** Up to when the intervals are known. */
  horizon: number;
  windows: Record<string, WindowInterval[]>;
}

/** A cascade that paused itself: its failure budget (CASCADE_MAX_FAILURES) is spent. */
export interface PauseView {
  /** Unix ms (coordinator clock). */
  since: number;
  /** How many of its runs failed. */
  failures: number;
  /** e.g. "3 runs failed (CASCADE_MAX_FAILURES=3)". */
  reason: string;
}

/** A request to resume a paused cascade. */
export interface ResumeRequest {
  /** The cascade (its id, or the id of a run in it). */
  cascadeId: string;
  by: string;
}

/** A resumed cascade: what paused it, who resumed it and when. */
export interface ResumeAnswer {
  cascadeId: string;
  by: string;
  /** Unix ms (coordinator clock). */
  at: number;
  pause: PauseView;
}

/** The operator controls in force: what every view says beside the stacks. */
export interface ControlsView {
  freeze: FreezeView | null;
  /** Stacks awaiting approval, oldest first. */
  approvals: PendingApproval[];
  /** Cascades paused by their failure budget, oldest first. */
  pauses?: Array<PauseView & { cascadeId: string }>;
  /** Each change window (`''`: the estate's): open now, or when it opens next; absent without windows. */
  windows?: Record<string, WindowState>;
  /** What identifies the change windows it keeps (null: none); absent from coordinators before windows. */
  windowsKey?: string | null;
  /** What early cutoff counted (the estate view's); absent from coordinators before cutoff. */
  cutoff?: CutoffCounts;
}

export type StackState = StackView['state'];

/** One run a cascade caused (or counted, when another source served a need). */
export interface CascadeRun {
  runId: string;
  state: string;
  /** true when the coordinator triggered it. */
  own: boolean;
  /** Unix ms (coordinator clock) the run was triggered or first seen. */
  at: number;
}

/** A change that fed a cascade: a finished tracked run of a stack. */
export interface CascadeChange {
  stackId: string;
  runId: string;
  /** Unix ms (Spacelift clock) the run finished. */
  at: number;
  /** true: the change joined the cascade while it was under way (it reached stacks of it). */
  joined?: boolean;
}

/**
 * Where a cascade is: `running` or `held` (it waits on a person or a rule, and says on what)
 * while under way; it ends `completed`, `blocked` (all that is left waits on a failure, a cycle
 * or a rejection) or `canceled`.
 */
export type CascadePhase = 'running' | 'held' | 'blocked' | 'completed' | 'canceled';

/** The phases a cascade has ended in. */
export const ENDED_PHASES: readonly CascadePhase[] = ['completed', 'blocked', 'canceled'];

/** How a cascade relates to others: the ones it took blocked stacks over from, and merged. */
export interface CascadeLinks {
  /** Cascades that ended blocked whose stacks this one took over (a release resumed them). */
  resumes: string[];
  /** Cascades that took over stacks this one left blocked. */
  resumedBy: string[];
  /** Cascades merged into this one (a change reached both while they were under way). */
  merged: string[];
}

/** A cascade: a burst of overlapping changes and the runs they caused. */
export interface CascadeView extends CascadeLinks {
  id: string;
  phase: CascadePhase;
  /** What a held cascade waits on, in words; empty unless held. */
  heldOn: string[];
  /** Unix ms (coordinator clock). */
  startedAt: number;
  endedAt: number | null;
  changes: CascadeChange[];
  /** Set while it is paused by its failure budget (it is held, saying so). */
  paused?: PauseView;
  /** Every stack the cascade reached: its state now (from this cascade's view) and its runs. */
  stacks: Record<string, StackView & { runs: CascadeRun[]; since: number }>;
}

/** One line of the cascade list. */
export interface CascadeSummary extends CascadeLinks {
  id: string;
  phase: CascadePhase;
  heldOn: string[];
  startedAt: number;
  endedAt: number | null;
  roots: string[];
  /** Stacks of the changes that joined it while under way. */
  joinedBy: string[];
  counts: Record<StackState, number>;
  total: number;
}

/** The estate as the coordinator holds it. */
export interface EstateView {
  stacks: Record<string, StackView>;
  cycles: string[][];
  unknownDependencies: Array<{ stackId: string; dependsOn: string }>;
  /** Unix ms (coordinator clock) of the last full read of the estate; null before the first. */
  graphReadAt: number | null;
  /** Cascades under way (running or held). */
  activeCascades: string[];
  /** Cascades by their real state: under way (running, held), and ended blocked with stacks still blocked. */
  cascadeCounts: { running: number; held: number; blocked: number };
  /** The freeze in force; null when not frozen. */
  freeze: FreezeView | null;
  /** Early cutoff: whether it is on, and what it did since the coordinator started (absent from older coordinators). */
  cutoff?: CutoffCounts;
  /** The estate's change window (CASCADE_CHANGE_WINDOWS): open now, or when it opens next; absent without one. */
  window?: WindowState;
}

/** A change window now: open, and its next opening (null: none within the schedule computed). */
export interface WindowState {
  open: boolean;
  next: WindowInterval | null;
}

/** What early cutoff did: counted by the coordinator, carried through continue-as-new. */
export interface CutoffCounts {
  /** Whether it is on (`CASCADE_CUTOFF`, and a coordinator started after it). */
  enabled: boolean;
  /** Outputs reads answered (one per FINISHED run of a stack with dependents). */
  outputsReads: number;
  /** FINISHED runs that changed nothing: not a change for their dependents. */
  cutOff: number;
  /** Needs withdrawn because the runs above them changed nothing: runs not made. */
  runsAvoided: number;
}

/** Input of stackDependencyChainWorkflow (the estate coordinator). */
export interface CoordinatorInput {
  options: CascadeOptions;
  /** The Spacelift account the coordinator serves (see `account.ts`); absent in runs started before accounts. */
  account?: string | null;
  /** The state carried over a continue-as-new. */
  snapshot?: unknown;
}
