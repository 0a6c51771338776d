/**
 * What the estate model keeps for each stack and each cascade: the state machine changes these
 * records, the views read them and the snapshot carries them through continue-as-new.
 */
import type { ApprovalDecision, CascadeChange, CascadeRun, PauseView } from '../cascade-contract.js';
import type { FinishedRun } from './cutoff-rule.js';

/**
 * Rules that changed how the model decides; the coordinator turns on the new ones with
 * `patched()` so that histories recorded before them replay the same decisions.
 */
export interface ModelRules {
  /** Cascades end (completed, blocked, canceled) and later changes never join an ended one. */
  lifecycle: boolean;
  /** A stack labelled `cascade:approval` is not triggered before a person approves it. */
  approvals: boolean;
  /** Early cutoff: a FINISHED run that changed nothing is not a change (see `cutoff-rule.ts`). */
  cutoff: boolean;
}

/** A verdict on a stack in a cascade, as the cascade keeps it. */
export type Decision = Omit<ApprovalDecision, 'cascadeId' | 'stackId'>;

/** A need for a run: the changes upstream that the stack has not run since. */
export interface Need {
  /** Spacelift ms of the latest change that reached the stack; a run created after it serves it. */
  latest: number;
  cascade: string;
  /**
   * Early cutoff: the upstreams this need rests on while each may still turn out to change
   * nothing (a run of theirs to come, or to decide); when all of them did, the need is withdrawn.
   * Absent: certain (an upstream did change).
   */
  via?: string[];
}

/** A FINISHED run of a stack with dependents whose outputs are to be read (early cutoff). */
export interface PendingRead {
  runId: string;
  /** While the run's change waits on the read (its dependents keep waiting): what the rule reads besides the outputs. */
  deciding?: FinishedRun;
  /** The cascade the deciding run's change went to. */
  cascade?: string;
}

/** A stack is up to date because this run (of it, or of an upstream) changed nothing. */
export interface UpToDate {
  stackId: string;
  runId: string;
  /** Coordinator ms it was decided (a cascade shows it unless the stack ran in it since). */
  at: number;
  /** What the run spared below it (on the stack that ran). */
  spared?: string[];
}

/** A run of a stack on its way (not ended yet), ours or anyone's. */
export interface LiveRun {
  id: string;
  state: string;
  version: number | null;
  /** Unix seconds (Spacelift). */
  createdAt: number | null;
  /** A lower bound of its creation time (ms): it was created at or after this. */
  createdMs: number | null;
  own: boolean;
  /** The need this run serves; consumed when it ends. */
  serving: Need | null;
  /** Coordinator ms of the last news of this run (webhook or poll). */
  heardAt: number;
  /** Coordinator ms it started to await confirmation (UNCONFIRMED). */
  unconfirmedSince?: number;
}

/** The last terminal run of a stack; `createdAt` in Spacelift seconds. */
export interface LastRun {
  runId: string;
  state: string;
  createdAt: number | null;
  /** Its creation in ms, when known more precisely than its second. */
  createdMs?: number | null;
}

/** One stack as the model knows it. */
export interface StackEntry {
  ups: string[];
  need: Need | null;
  /** A trigger in flight (the activity has not answered), serving this need. */
  triggering: Need | null;
  runs: LiveRun[];
  failed: { runId: string; state: string } | null;
  /** Why the last trigger failed; cleared by the next reconciliation pass, which retries. */
  triggerError: string | null;
  last: LastRun | null;
  /** Recent terminal run ids, newest last: duplicates and late deliveries change nothing. */
  ended: string[];
  /** The cascade whose cancel dropped the stack's need; cleared by its next need or run. */
  canceledBy?: string;
  /** Early cutoff: the digest of the outputs read after the stack's last FINISHED run; absent: not known. */
  baseline?: string;
  /** Early cutoff: the outputs read wanted after a FINISHED run. */
  reading?: PendingRead;
  /** Early cutoff: a run that changed nothing made the stack up to date; cleared by its next need or run. */
  upToDate?: UpToDate;
  /** The stack's `cascade:` labels (approval, a change window); absent when none. */
  cascadeLabels?: string[];
}

/** A stack a cascade reached: since when (coordinator ms) and the runs it counted. */
export interface CascadeStack {
  since: number;
  runs: CascadeRun[];
  /** Why the stack was left out (its cascade was canceled before it was triggered). */
  canceled?: string;
  /** Why the stack was blocked when its cascade ended blocked. */
  blocked?: { blockedBy: string; reason: string };
}

/** A burst of changes and the runs they cause. */
export interface CascadeRecord {
  id: string;
  startedAt: number;
  endedAt: number | null;
  canceled: boolean;
  changes: CascadeChange[];
  /** Stacks reached, by id. */
  stacks: Record<string, CascadeStack>;
  /**
   * Needs, triggers and serving runs still open in this cascade. After it ended blocked: its
   * blocked needs not yet taken over by a later cascade.
   */
  open: number;
  /** Cascades whose blocked stacks this one took over. */
  resumes?: string[];
  /** Cascades that took over stacks this one left blocked. */
  resumedBy?: string[];
  /** Cascades merged into this one. */
  merged?: string[];
  /** Approvals and rejections of stacks labelled `cascade:approval`, by stack: they hold for this cascade. */
  decisions?: Record<string, Decision>;
  /** Since when (coordinator ms) each stack that could run has waited for its approval. */
  awaiting?: Record<string, number>;
  /** Runs of this cascade that failed since it started (or was last resumed). */
  failures?: number;
  /** Set while its failure budget (CASCADE_MAX_FAILURES) is spent: nothing new of it is triggered. */
  paused?: PauseView;
  /** Early cutoff: stacks of the cascade a run that changed nothing made up to date. */
  upToDate?: Record<string, UpToDate>;
}

/** A stack with nothing pending. */
export const emptyEntry = (ups: string[]): StackEntry => ({
  ups,
  need: null,
  triggering: null,
  runs: [],
  failed: null,
  triggerError: null,
  last: null,
  ended: [],
});
