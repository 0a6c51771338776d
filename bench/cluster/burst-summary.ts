/** The results of one burst of bench/cluster, and their summary per worker count. */
import { round } from '../percentiles.js';

/** Mean CPU seconds per burst of the parts `pick` selects. */
function meanCpu(rows: readonly BurstResult[], pick: (part: string) => boolean): number {
  const perBurst = rows.map((r) =>
    Object.entries(r.cpuSeconds)
      .filter(([part]) => pick(part))
      .reduce((sum, [, seconds]) => sum + seconds, 0),
  );
  return round(perBurst.reduce((a, b) => a + b, 0) / rows.length);
}

/** Mean, min and max over the repeats of one setting (a median of two would just be the lower one). */
export function summarize(rows: readonly BurstResult[], workers: number) {
  const mine = rows.filter((r) => r.workers === workers);
  const mean = (values: number[]) => round(values.reduce((a, b) => a + b, 0) / values.length, 0);
  const makespans = mine.map((r) => r.makespanMs);
  return {
    repeats: mine.length,
    makespanMsMean: mean(makespans),
    makespanMsMin: Math.min(...makespans),
    makespanMsMax: Math.max(...makespans),
    triggerLatencyMsP50Mean: mean(mine.map((r) => r.triggerLatencyMs.p50)),
    triggerLatencyMsP99Mean: mean(mine.map((r) => r.triggerLatencyMs.p99)),
    workerCpuSecondsMean: meanCpu(mine, (part) => part.startsWith('worker-')),
    temporalAndPostgresCpuSecondsMean: meanCpu(
      mine,
      (part) => part.startsWith('temporal-') || part === 'postgresql',
    ),
  };
}

export interface BurstResult {
  workers: number;
  repeat: number;
  stacksRun: number;
  /** First push to the last dependent run FINISHED. */
  makespanMs: number;
  runsPerSecond: number;
  /** Per stack: its run created minus the end of the last of its upstreams' runs. */
  triggerLatencyMs: { p50: number; p90: number; p99: number };
  apiCalls: number;
  violations: number;
  /** CPU seconds each part used during the burst (bench = this process: simulator and driver). */
  cpuSeconds: Record<string, number>;
}
