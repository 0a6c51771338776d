import type {
  ApprovalDecision,
  ApprovalRequest,
  CascadeSummary,
  ControlsView,
  PauseView,
  PendingApproval,
  ResumeAnswer,
  ResumeRequest,
  CascadeView,
  EstateView,
  FreezeRequest,
  FreezeView,
  StackView,
  UnfreezeAnswer,
} from '../../src/cascade-contract.js';
import { ActionRefusedError } from '../../src/temporal/coordinator.js';
import type { DashboardSource, StackRun } from '../../src/dashboard/dashboard-source.js';
import { buildEstateGraph, type EstateGraph, type StackRecord } from '../../src/dashboard/estate-graph.js';

/** An in-memory {@link DashboardSource}: the API tests and the bench set what it answers. */
export class FakeDashboardSource implements DashboardSource {
  readonly graphSource = 'spacelift' as const;
  account: string | null = 'spacelift.test';
  estateView: EstateView | null;
  estateGraph: EstateGraph;
  cascadeViews = new Map<string, CascadeView>();
  runs = new Map<string, StackRun[]>();
  canceled: string[] = [];
  runEndedAt = new Map<string, number>();
  failWith: Error | null = null;

  constructor(records: StackRecord[], states: Record<string, StackView> = {}) {
    this.estateGraph = buildEstateGraph(records, 'dependsOn:');
    this.estateView = {
      stacks: states,
      cycles: [],
      unknownDependencies: [],
      graphReadAt: 1_700_000_000_000,
      activeCascades: [],
      cascadeCounts: { running: 0, held: 0, blocked: 0 },
      freeze: null,
    };
  }

  private check(): void {
    if (this.failWith) throw this.failWith;
  }

  estate(): Promise<EstateView | null> {
    this.check();
    return Promise.resolve(this.estateView);
  }

  cascades(limit: number): Promise<CascadeSummary[]> {
    this.check();
    return Promise.resolve(
      [...this.cascadeViews.values()].slice(0, limit).map((v) => ({
        id: v.id,
        phase: v.phase,
        heldOn: v.heldOn,
        resumes: v.resumes,
        resumedBy: v.resumedBy,
        merged: v.merged,
        startedAt: v.startedAt,
        endedAt: v.endedAt,
        roots: v.changes.map((c) => c.stackId),
        joinedBy: v.changes.filter((c) => c.joined).map((c) => c.stackId),
        counts: {
          idle: 0,
          waiting: 0,
          blocked: 0,
          cyclic: 0,
          triggering: 0,
          queued: 0,
          running: 0,
          'awaiting-confirmation': 0,
          finished: Object.values(v.stacks).filter((s) => s.state === 'finished').length,
          failed: 0,
          canceled: 0,
          held: 0,
          deciding: 0,
          'up-to-date': 0,
        },
        total: Object.keys(v.stacks).length,
      })),
    );
  }

  cascade(idOrRunId: string): Promise<CascadeView | null> {
    this.check();
    return Promise.resolve(
      this.cascadeViews.get(idOrRunId) ?? this.cascadeViews.get(`cascade-${idOrRunId}`) ?? null,
    );
  }

  cancel(cascadeId: string): Promise<void> {
    this.canceled.push(cascadeId);
    return Promise.resolve();
  }

  /** Freezes as the coordinator would, refusing a second freeze. */
  freeze(request: FreezeRequest): Promise<FreezeView> {
    if (this.estateView?.freeze)
      return Promise.reject(new ActionRefusedError('the estate is already frozen'));
    const freeze = {
      since: Date.now(),
      by: request.by,
      reason: request.reason ?? null,
      until: request.until ?? null,
    };
    if (this.estateView) this.estateView.freeze = freeze;
    return Promise.resolve(freeze);
  }

  /** Stacks awaiting approval; `decide` answers for these only, as the coordinator would. */
  pendingApprovals: PendingApproval[] = [];
  decisions: ApprovalDecision[] = [];

  decide(request: ApprovalRequest, verdict: ApprovalDecision['verdict']): Promise<ApprovalDecision> {
    const pending = this.pendingApprovals.find(
      (p) =>
        p.stackId === request.stackId &&
        [p.cascadeId, p.cascadeId.replace(/^cascade-/, '')].includes(request.cascadeId),
    );
    if (!pending)
      return Promise.reject(
        new ActionRefusedError(`${request.stackId} is not awaiting approval in ${request.cascadeId}`),
      );
    this.pendingApprovals = this.pendingApprovals.filter((p) => p !== pending);
    const decision = {
      cascadeId: pending.cascadeId,
      stackId: pending.stackId,
      verdict,
      by: request.by,
      at: 1_700_000_001_000,
      note: request.note ?? null,
    };
    this.decisions.push(decision);
    return Promise.resolve(decision);
  }

  /** Cascades paused by their failure budget; `resume` answers for these only. */
  pauses: Array<PauseView & { cascadeId: string }> = [];

  resume(request: ResumeRequest): Promise<ResumeAnswer> {
    const pause = this.pauses.find((p) => p.cascadeId === request.cascadeId);
    if (!pause) return Promise.reject(new ActionRefusedError(`cascade ${request.cascadeId} is not paused`));
    this.pauses = this.pauses.filter((p) => p !== pause);
    const { cascadeId, ...paused } = pause;
    return Promise.resolve({ cascadeId, by: request.by, at: 1_700_000_002_000, pause: paused });
  }

  controls(): Promise<ControlsView | null> {
    this.check();
    return Promise.resolve(
      this.estateView
        ? {
            freeze: this.estateView.freeze,
            approvals: this.pendingApprovals,
            pauses: this.pauses,
            ...(this.estateView.cutoff && { cutoff: this.estateView.cutoff }),
          }
        : null,
    );
  }

  unfreeze(by: string): Promise<UnfreezeAnswer> {
    const freeze = this.estateView?.freeze;
    if (!freeze) return Promise.reject(new ActionRefusedError('the estate is not frozen'));
    this.estateView!.freeze = null;
    return Promise.resolve({ freeze, by, waiting: [] });
  }

  graph(): Promise<EstateGraph> {
    this.check();
    return Promise.resolve(this.estateGraph);
  }

  runEnds(runs: ReadonlyArray<{ stackId: string; runId: string }>): Promise<Record<string, number>> {
    const ends: Record<string, number> = {};
    for (const { runId } of runs) {
      const end = this.runEndedAt.get(runId);
      if (end !== undefined) ends[runId] = end;
    }
    return Promise.resolve(ends);
  }

  stackRuns(stackId: string): Promise<StackRun[] | null> {
    return Promise.resolve(this.runs.get(stackId) ?? []);
  }
}

/**
 * A layered estate of `count` stacks in `spaces` spaces: ten layers, each stack depending on
 * one or two stacks of the layer above, mostly of its own space, else of the shared platform
 * space (deterministic), as platform estates tend to look.
 */
export function layeredEstate(count: number, spaces = 10): StackRecord[] {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const perLayer = Math.max(1, Math.ceil(count / 10));
  const records: StackRecord[] = [];
  for (let i = 0; i < count; i++) {
    const layer = Math.floor(i / perLayer);
    const labels: string[] = [];
    if (layer > 0) {
      const start = (layer - 1) * perLayer;
      // Mostly within the same space's slice of the layer above, as teams' stacks are.
      const slice = Math.max(1, Math.floor(perLayer / spaces));
      const own = start + (i % perLayer) - ((i % perLayer) % slice);
      const ups = new Set<number>();
      const k = 1 + Math.floor(random() * 2);
      for (let j = 0; j < k; j++) {
        const near = own + Math.floor(random() * slice);
        // Cross-team links go to the shared platform stacks (the first space's slice).
        const far = start + Math.floor(random() * slice);
        ups.add(Math.min(i - 1, random() < 0.85 ? near : far));
      }
      for (const u of ups) labels.push(`dependsOn:stack-${u}`);
    }
    records.push({
      id: `stack-${i}`,
      name: `stack-${i}`,
      space: `space-${Math.floor(((i % perLayer) / perLayer) * spaces)}`,
      labels,
      nativeUpstreams: [],
    });
  }
  return records;
}
