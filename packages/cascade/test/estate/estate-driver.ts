/**
 * Drives the estate model as the coordinator would, without Temporal: the driver of the model's
 * unit tests.
 */
import type { CascadeOptions, RunObservation } from '../../src/cascade-contract.js';
import { EstateModel, type ModelRules } from '../../src/estate/estate-model.js';
import { testOptions } from '../workflows/test-options.js';

/** The service's default intervals (a blocked stack's reason names the pass's). */
export const options: CascadeOptions = testOptions({ pollIntervalMs: 30_000, reconcileIntervalMs: 60_000 });

/** base -> vpc -> {rds, redis} -> api -> {frontend, jobs}, plus an unrelated stack. */
const ESTATE: Record<string, string[]> = {
  base: [],
  vpc: ['base'],
  rds: ['vpc'],
  redis: ['vpc'],
  api: ['rds', 'redis'],
  frontend: ['api'],
  jobs: ['api'],
  other: [],
};

/**
 * Drives the model as the coordinator would, with a fake Spacelift clock in seconds: every
 * triggered stack gets a run created at the current second; `finish` ends it.
 */
export class Estate {
  readonly model: EstateModel;
  clock = 100;
  private seq = 0;
  readonly triggered: string[] = [];
  readonly ownRun = new Map<string, string>();

  constructor(
    graph: Record<string, string[]> = ESTATE,
    opts: Partial<CascadeOptions> = {},
    rules?: Partial<ModelRules>,
  ) {
    this.model = new EstateModel({ ...options, ...opts }, undefined, rules);
    this.model.setGraph(
      Object.entries(graph).map(([id, dependsOn]) => ({ id, dependsOn })),
      0,
    );
  }

  obs(stackId: string, runId: string, state: string, extra: Partial<RunObservation> = {}) {
    return this.model.observe(
      {
        stackId,
        runId,
        state,
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: null,
        createdAt: this.clock,
        at: this.clock * 1000,
        driftDetection: false,
        stackLabels: null,
        ...extra,
      },
      this.clock * 1000,
    );
  }

  /** A run from another source (push, UI) created now. */
  start(stackId: string): string {
    const runId = `${stackId}-ext-${++this.seq}`;
    this.obs(stackId, runId, 'QUEUED');
    return runId;
  }

  finish(stackId: string, runId: string, state = 'FINISHED', createdAt?: number) {
    return this.obs(stackId, runId, state, createdAt === undefined ? {} : { createdAt });
  }

  /** A change of `stackId` by a run from another source (a push), finished a second later; its run id. */
  push(stackId: string): string {
    const run = this.start(stackId);
    this.clock++;
    this.finish(stackId, run);
    return run;
  }

  /** Triggers whatever is ready (as the workflow loop does); returns the stacks. */
  step(limit = 100): string[] {
    const ready = this.model.takeReady(limit).map((r) => r.stackId);
    for (const id of ready) {
      const runId = `${id}-own-${++this.seq}`;
      this.model.triggered(id, runId, 'QUEUED', this.clock, this.clock * 1000);
      this.ownRun.set(id, runId);
      this.triggered.push(id);
    }
    return ready;
  }

  /** Finishes every own run in flight (one wave), then triggers the next wave. */
  wave(state: (id: string) => string = () => 'FINISHED'): string[] {
    this.clock++;
    const live = [...this.ownRun];
    this.ownRun.clear();
    for (const [id, runId] of live) this.obs(id, runId, state(id), { createdAt: this.clock - 1 });
    return this.step();
  }

  /** Runs waves until nothing more is triggered; returns the waves. */
  settle(state?: (id: string) => string): string[][] {
    const waves: string[][] = [this.step()];
    while (this.ownRun.size > 0) waves.push(this.wave(state));
    return waves.filter((w) => w.length > 0);
  }

  view(id: string) {
    return this.model.stackView(id);
  }
}
