/**
 * Operator commands: freeze and unfreeze the estate. Each is a validated Update to the
 * coordinator: it answers, or refuses with its reason (printed as the error, exit 1). Who acts
 * is the OS user, or `--as <name>`.
 */
import { userInfo } from 'node:os';
import type { ApprovalDecision, ControlsView, FreezeView } from '../cascade-contract.js';
import type { Coordinator } from '../temporal/coordinator.js';
import { EXIT_SUCCESS } from './cascade-report.js';
import { print, type Output } from './output.js';

/** Who acts: `--as <name>`, else the OS user. */
function actor(as: string | undefined): string {
  const named = as?.trim();
  if (named) return named;
  try {
    return userInfo().username;
  } catch {
    // No user name on this system (a container without /etc/passwd): say so, the update refuses ''.
    return process.env.USER ?? process.env.LOGNAME ?? '';
  }
}

/** `spacelift-cascade freeze`: no trigger is decided until unfreeze (or `until`). */
export async function freezeCommand(
  coordinator: Coordinator,
  flags: { reason?: string; until?: number; as?: string },
  o: Output,
): Promise<number> {
  const freeze = await coordinator.freeze({
    by: actor(flags.as),
    reason: flags.reason ?? null,
    until: flags.until ?? null,
  });
  print(o, freeze, () =>
    [
      `Frozen: ${freezeLine(freeze)}.`,
      'No stack is triggered until `spacelift-cascade unfreeze`' +
        (freeze.until === null ? '' : ' or the end time') +
        '; runs in flight go on, and what needs a run waits: each such stack runs once when it is lifted.',
      'A freeze does not stop git pushes in Spacelift itself: lock the stacks in Spacelift to stop those.',
    ].join('\n'),
  );
  return EXIT_SUCCESS;
}

/** `spacelift-cascade unfreeze`: each stack that waited runs once, in order. */
export async function unfreezeCommand(
  coordinator: Coordinator,
  flags: { as?: string },
  o: Output,
): Promise<number> {
  const answer = await coordinator.unfreeze(actor(flags.as));
  print(o, answer, () => {
    const waiting = answer.waiting;
    return (
      `Unfrozen by ${answer.by} (it was ${freezeLine(answer.freeze)}). ` +
      (waiting.length === 0
        ? 'No stack was waiting.'
        : `${waiting.length} waiting stack${waiting.length > 1 ? 's' : ''} run now, each once, in order: ${waiting.join(', ')}.`)
    );
  });
  return EXIT_SUCCESS;
}

/** `spacelift-cascade cascades approve|reject <cascade> <stack>`: a person's verdict, recorded in that cascade. */
export async function verdictCommand(
  coordinator: Coordinator,
  flags: { cascadeId: string; stackId: string; note?: string; as?: string },
  verdict: ApprovalDecision['verdict'],
  o: Output,
): Promise<number> {
  const request = {
    cascadeId: flags.cascadeId,
    stackId: flags.stackId,
    by: actor(flags.as),
    note: flags.note ?? null,
  };
  const decision = await (verdict === 'approved'
    ? coordinator.approve(request)
    : coordinator.reject(request));
  print(o, decision, () => {
    const { stackId, cascadeId, by, note } = decision;
    const said = `${verdict === 'approved' ? 'Approved' : 'Rejected'} ${stackId} in ${cascadeId} by ${by}${note ? `: ${note}` : ''}.`;
    return verdict === 'approved'
      ? `${said} It runs once nothing upstream of it is changing; the approval holds for this cascade.`
      : `${said} It and what is below it end blocked; \`spacelift-cascade cascades approve ${cascadeId} ${stackId}\` reopens it.`;
  });
  return EXIT_SUCCESS;
}

/** `spacelift-cascade cascades resume <cascade>`: its failure budget starts again. */
export async function resumeCommand(
  coordinator: Coordinator,
  flags: { cascadeId: string; as?: string },
  o: Output,
): Promise<number> {
  const answer = await coordinator.resume({ cascadeId: flags.cascadeId, by: actor(flags.as) });
  print(
    o,
    answer,
    () =>
      `Resumed ${answer.cascadeId} by ${answer.by} (it paused at ${clockTime(answer.pause.since)}: ${answer.pause.reason}). ` +
      'What it held may run; its failure budget starts again.',
  );
  return EXIT_SUCCESS;
}

/** The lines every view prints above its own while operator controls are in force; none otherwise. */
export function controlsLines(controls: ControlsView | null, now = Date.now()): string[] {
  if (!controls) return [];
  const lines = controls.freeze ? [`FROZEN: ${freezeLine(controls.freeze, now)}`] : [];
  for (const a of controls.approvals ?? [])
    lines.push(`AWAITING APPROVAL: ${a.stackId} in ${a.cascadeId} since ${clockTime(a.since, now)}`);
  for (const p of controls.pauses ?? [])
    lines.push(`PAUSED: ${p.cascadeId} since ${clockTime(p.since, now)}: ${p.reason}`);
  const window = controls.windows?.[''];
  if (window && !window.open)
    lines.push(`OUTSIDE THE CHANGE WINDOW: triggers are held until ${window.next?.opens ?? 'it is known'}`);
  return lines;
}

/** e.g. "frozen since 14:02 by alice: incident 4711; until 16:00" (local time; the date when not today). */
function freezeLine(freeze: FreezeView, now = Date.now()): string {
  return (
    `frozen since ${clockTime(freeze.since, now)} by ${freeze.by}` +
    (freeze.reason ? `: ${freeze.reason}` : '') +
    (freeze.until === null ? '' : `; until ${clockTime(freeze.until, now)}`)
  );
}

/** HH:MM in local time, with the date in front when it is not today. */
function clockTime(ms: number, now = Date.now()): string {
  const at = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const sameDay = at.toDateString() === new Date(now).toDateString();
  return sameDay ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}
