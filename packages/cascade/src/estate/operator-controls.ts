/**
 * What operators decide beside the estate's own state: a freeze of the whole estate, and the
 * change windows' schedule (computed outside the workflow). The model asks it before it triggers
 * a stack, the views show it, the snapshot carries it, and the coordinator's update validators
 * check requests against it. Pure; part of the workflow bundle.
 */
import type {
  ApprovalRequest,
  ChangeWindows,
  FreezeRequest,
  FreezeView,
  HoldKind,
  WindowSchedule,
  WindowState,
} from '../cascade-contract.js';

/** The controls as the snapshot carries them (fields at their default left out). */
export interface CarriedControls {
  freeze?: FreezeView;
  /** The change windows' open intervals (computed by an activity). */
  windows?: WindowSchedule;
}

/** The variable of the windows a stack labelled `cascade:window:<name>` follows. */
const namedWindowsVariable = (name: string): string =>
  `CASCADE_CHANGE_WINDOWS_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** What identifies a configuration of change windows: a schedule computed for another is stale. */
export const windowsKey = (windows: ChangeWindows): string => JSON.stringify(windows);

/** The window a stack follows: its `cascade:window:<name>` label's, else the estate's (`''`), else none. */
export function windowOf(
  cascadeLabels: readonly string[] | undefined,
  windows: ChangeWindows | null | undefined,
): string | null {
  const label = cascadeLabels?.find((l) => l.startsWith('cascade:window:'));
  if (label) return label.slice('cascade:window:'.length).trim().toLowerCase();
  return windows?.estate ? '' : null;
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
  /** The change windows' open intervals; null before they are computed (or without windows). */
  windows: WindowSchedule | null;

  constructor(carried: CarriedControls = {}) {
    this.freeze = carried.freeze ?? null;
    this.windows = carried.windows ?? null;
  }

  /** What the snapshot carries; undefined when nothing is in force. */
  carried(): CarriedControls | undefined {
    if (!this.freeze && !this.windows) return undefined;
    return { ...(this.freeze && { freeze: this.freeze }), ...(this.windows && { windows: this.windows }) };
  }

  /**
   * The hold of window `name` (`''`: the estate's) at `now`: null while it is open; else held
   * until it opens next (in its own zone's words), since it closed.
   */
  windowHold(name: string, configured: ChangeWindows, now: number): Hold | null {
    const schedule = this.windows;
    const what = name === '' ? 'the change window' : `the "${name}" change window`;
    if (!schedule || schedule.key !== windowsKey(configured))
      return { hold: 'window', reason: `${what} is being read (held until it is known)`, heldSince: now };
    const intervals = schedule.windows[name];
    if (!intervals) {
      const variable = namedWindowsVariable(name);
      return {
        hold: 'window',
        reason: `no change window "${name}" is configured (${variable})`,
        heldSince: now,
      };
    }
    if (intervals.some((w) => w.start <= now && now < w.end)) return null;
    const next = intervals.find((w) => w.start > now);
    const closed = intervals.filter((w) => w.end <= now).at(-1)?.end ?? schedule.computedAt;
    const until = next ? `held until ${next.opens}` : 'held (no opening known yet)';
    return { hold: 'window', reason: `outside ${what}: ${until}`, heldSince: closed };
  }

  /** When the next window opens or closes after `now` (ms), or null. */
  nextWindowEdge(now: number): number | null {
    let next: number | null = null;
    for (const intervals of Object.values(this.windows?.windows ?? {})) {
      for (const w of intervals) {
        const edge = w.start > now ? w.start : w.end > now ? w.end : null;
        if (edge !== null) next = Math.min(next ?? edge, edge);
      }
    }
    return next;
  }

  /** Each window: open at `now`, or when it opens next. */
  windowStates(now: number): Record<string, WindowState> {
    const out: Record<string, WindowState> = {};
    for (const [name, intervals] of Object.entries(this.windows?.windows ?? {})) {
      const open = intervals.some((w) => w.start <= now && now < w.end);
      out[name] = { open, next: intervals.find((w) => w.start > now) ?? null };
    }
    return out;
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
