/**
 * The words for a stack Spacelift would not start a run of (disabled, locked, or another
 * refusal), said once: the views put them in a blocked stack's `reason`, and the CLI, the JSON
 * API and the dashboard show that reason as it is. Pure; part of the workflow bundle.
 */

/** What Spacelift's refusal says about the stack, and what a person does about it. */
interface Refusal {
  /** e.g. "disabled in Spacelift", "locked by alice@example.com in Spacelift". */
  state: string;
  /** e.g. "enable it". */
  fix: string;
}

const LOCKED_BY = /\blocked by ([^\s;,]+)/i;

/**
 * Reads a refusal's message (Spacelift's, or the simulator's, which follows it): a disabled
 * stack, a stack locked (by whom, when it says), or null for anything else.
 */
export function readRefusal(error: string): Refusal | null {
  if (/\bdisabled\b/i.test(error)) return { state: 'disabled in Spacelift', fix: 'enable it' };
  if (/\blocked\b/i.test(error)) {
    const by = LOCKED_BY.exec(error)?.[1]?.replace(/^["']|["']$/g, '');
    return { state: by ? `locked by ${by} in Spacelift` : 'locked in Spacelift', fix: 'unlock it' };
  }
  return null;
}

/** What happens once it is fixed: a run of the stack from any source serves what waits for it. */
function thenWhat(stackId: string, retryMs: number): string {
  return (
    `then run \`spacelift-cascade trigger ${stackId}\` or push to it ` +
    `(the cascade also tries again by itself within ${Math.max(1, Math.round(retryMs / 1000))} s)`
  );
}

/**
 * Why `stackId` itself is blocked after Spacelift refused to start its run, e.g.
 * "disabled in Spacelift: enable it, then run `spacelift-cascade trigger dns` or push to it (…)".
 * `retryMs`: when the coordinator tries the trigger again by itself (its reconciliation pass).
 */
export function refusedTriggerReason(stackId: string, error: string, retryMs: number): string {
  const refusal = readRefusal(error);
  const head = refusal ? `${refusal.state}: ${refusal.fix}` : `could not trigger a run: ${error}: fix that`;
  return `${head}, ${thenWhat(stackId, retryMs)}`;
}

/** Why a stack below `upstreamId` is blocked: the same words, naming the upstream. */
export function refusedUpstreamReason(upstreamId: string, error: string, retryMs: number): string {
  const refusal = readRefusal(error);
  const head = refusal
    ? `upstream ${upstreamId} is ${refusal.state}: ${refusal.fix}`
    : `upstream ${upstreamId} could not be triggered: ${error}: fix that`;
  return `${head}, ${thenWhat(upstreamId, retryMs)}`;
}
