/**
 * The coordinator's operator controls as Prometheus gauges on the admin side's `/metrics`:
 * pending approvals and the age of the oldest, whether the estate is frozen (and since when),
 * cascades paused by their failure budget; and what early cutoff counted.
 * Read from the coordinator's `controls` query, once per scrape.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ControlsView } from '../cascade-contract.js';

export interface ControlMetricsOptions {
  /** The coordinator's controls; null when no coordinator runs yet. */
  read: () => Promise<ControlsView | null>;
  /** Told when a read fails; the gauges keep their last values. */
  onError: (err: unknown) => void;
  now?: () => number;
}

/** Registers the gauges on `registry`. */
export function registerControlMetrics(registry: Registry, options: ControlMetricsOptions): void {
  const now = options.now ?? Date.now;
  // One read serves every gauge of a scrape (prom-client collects them one after another).
  let last: { at: number; controls: Promise<ControlsView | null> } | null = null;
  const controls = async (): Promise<ControlsView | null | undefined> => {
    if (!last || now() - last.at > 1_000) last = { at: now(), controls: options.read() };
    try {
      return await last.controls;
    } catch (err) {
      options.onError(err);
      return undefined;
    }
  };
  const gauge = (name: string, help: string, value: (c: ControlsView | null, at: number) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const c = await controls();
        if (c !== undefined) this.set(value(c, now()));
      },
    });
  gauge(
    'cascade_pending_approvals',
    'Stacks that could run but await a person’s approval',
    (c) => c?.approvals.length ?? 0,
  );
  gauge(
    'cascade_oldest_pending_approval_seconds',
    'How long the oldest pending approval has waited (0: none)',
    (c, at) => {
      const oldest = c?.approvals[0];
      return oldest ? Math.max(0, (at - oldest.since) / 1000) : 0;
    },
  );
  gauge(
    'cascade_paused_cascades',
    'Cascades paused by their failure budget (CASCADE_MAX_FAILURES)',
    (c) => c?.pauses?.length ?? 0,
  );
  gauge('cascade_frozen', '1 while the estate is frozen (no trigger is decided), else 0', (c) =>
    c?.freeze ? 1 : 0,
  );
  gauge('cascade_frozen_seconds', 'How long the estate has been frozen (0: not frozen)', (c, at) =>
    c?.freeze ? Math.max(0, (at - c.freeze.since) / 1000) : 0,
  );
  gauge('cascade_cutoff_enabled', '1 while early cutoff is on (CASCADE_CUTOFF), else 0', (c) =>
    c?.cutoff?.enabled ? 1 : 0,
  );
  // The coordinator keeps these counts (through continue-as-new); a scrape copies them. A new
  // coordinator starts from 0, which Prometheus reads as a counter reset.
  const counted = (name: string, help: string, value: (c: NonNullable<ControlsView['cutoff']>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        const c = await controls();
        if (c === undefined) return;
        this.reset();
        this.inc(c?.cutoff ? value(c.cutoff) : 0);
      },
    });
  counted(
    'cascade_cutoff_runs_avoided_total',
    'Runs not made because the runs above them changed nothing (early cutoff)',
    (c) => c.runsAvoided,
  );
  counted(
    'cascade_cutoff_cut_off_total',
    'FINISHED runs that changed nothing, so were not a change for their dependents',
    (c) => c.cutOff,
  );
  counted(
    'cascade_cutoff_outputs_reads_total',
    'Outputs reads early cutoff made (one per FINISHED run of a stack with dependents)',
    (c) => c.outputsReads,
  );
}
