import type { Problem } from '../admin/service-status.js';

/** How often the banner looks again, once the service has said ready or what is wrong. */
const RECHECK_MS = 15_000;

const describe = (problems: readonly Problem[], tail: string) =>
  problems.length === 0
    ? `spacelift-cascade is ready. ${tail}`
    : `spacelift-cascade is running, but: ${problems.map((p) => `${p.part}: ${p.message}`).join('; ')}`;

/**
 * Says "ready" only while no problem stands, and "running, but: <problem>" otherwise; a later
 * change (a problem fixed, or a new one) gets a line of its own.
 */
export function watchProblems(
  problems: () => Promise<readonly Problem[]>,
  out: (line: string) => void,
  readyTail: string,
): { first: Promise<void>; stop(): Promise<void> } {
  let last: string | null = null;
  const say = async () => {
    const line = describe(await problems().catch(() => []), readyTail);
    if (line !== last) out(line);
    last = line;
  };
  const first = say();
  const timer = setInterval(() => void say(), RECHECK_MS);
  timer.unref();
  return {
    first,
    stop: () => {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
