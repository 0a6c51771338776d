/**
 * What operators decide beside the estate's own state: a freeze of the whole estate. The model
 * asks it before it triggers a stack, the views show it, the snapshot carries it, and the
 * coordinator's update validators check requests against it. Pure; part of the workflow bundle.
 */
import type { ApprovalRequest, FreezeRequest, FreezeView, HoldKind } from '../cascade-contract.js';

/** The controls as the snapshot carries them (fields at their default left out). */
export interface CarriedControls {
  freeze?: FreezeView;
}

/** Why a stack that could run now is not triggered: a hold, in words, since when. */
export interface Hold {
  hold: HoldKind;
  reason: string;
  /** Unix ms (coordinator clock) the hold began. */
  heldSince: number;
  /** The cascade whose approval (or pause) holds it. */
  cascadeId?: string;
}

/** Longest name (`by`) and reason an operator action takes. */
const MAX_BY = 100;
const MAX_REASON = 500;

/** An operator action the coordinator refuses, with the reason a caller is told. */
export class ActionRefusal extends Error {
  override readonly name = 'ActionRefusal';
}

/** The operator controls in force. */
export class OperatorControls {
  freeze: FreezeView | null;

  constructor(carried: CarriedControls = {}) {
    this.freeze = carried.freeze ?? null;
  }

  /** What the snapshot carries; undefined when nothing is in force. */
  carried(): CarriedControls | undefined {
    return this.freeze ? { freeze: this.freeze } : undefined;
  }

  /** The hold on every stack that could run now, or null: a freeze holds them all. */
  estateHold(): Hold | null {
    const f = this.freeze;
    if (!f) return null;
    return {
      hold: 'freeze',
      reason: `the estate is frozen by ${f.by}${f.reason ? `: ${f.reason}` : ''}`,
      heldSince: f.since,
    };
  }
}

/** Checks a freeze request against the controls in force; throws the reason it is refused. */
export function checkFreeze(request: FreezeRequest, controls: OperatorControls, now: number): void {
  checkBy(request.by);
  if (request.reason != null && request.reason.length > MAX_REASON)
    throw new ActionRefusal(`the reason is longer than ${MAX_REASON} characters`);
  if (request.until != null && !(Number.isFinite(request.until) && request.until > now))
    throw new ActionRefusal(`the freeze's end (${isoTime(request.until)}) is not in the future`);
  const f = controls.freeze;
  if (f) {
    throw new ActionRefusal(
      `the estate is already frozen since ${isoTime(f.since)} by ${f.by}${f.reason ? `: ${f.reason}` : ''}; unfreeze it first`,
    );
  }
}

/** Checks who approves or rejects, and the note; the model checks the rest (`EstateModel.checkVerdict`). */
export function checkApprovalRequest(request: ApprovalRequest): void {
  checkBy(request.by);
  if (request.note != null && request.note.length > MAX_REASON)
    throw new ActionRefusal(`the note is longer than ${MAX_REASON} characters`);
}

/** Checks an unfreeze request; throws the reason it is refused. */
export function checkUnfreeze(by: string, controls: OperatorControls): void {
  checkBy(by);
  if (!controls.freeze) throw new ActionRefusal('the estate is not frozen');
}

/** Who acts must say so: a name, of reasonable length. */
export function checkBy(by: unknown): void {
  if (typeof by !== 'string' || by.trim() === '')
    throw new ActionRefusal('say who acts (the CLI sends the OS user or --as, the dashboard the name typed)');
  if (by.length > MAX_BY) throw new ActionRefusal(`the name is longer than ${MAX_BY} characters`);
}

/** A time in a refusal: UTC, to the minute (the coordinator knows no time zone). */
function isoTime(ms: number): string {
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16)}Z` : String(ms);
}
