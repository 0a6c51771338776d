import { WorkflowNotFoundError } from '@temporalio/client';
import type { SpaceliftApi } from 'spacelift-client';
import type {
  CascadeSummary,
  CascadeView,
  EstateView,
  ApprovalDecision,
  ApprovalRequest,
  ControlsView,
  FreezeRequest,
  FreezeView,
  ResumeAnswer,
  ResumeRequest,
  UnfreezeAnswer,
} from '../cascade-contract.js';
import type { Coordinator } from '../temporal/coordinator.js';
import type { EstateCatalog } from '../service/estate-catalog.js';
import {
  buildEstateGraph,
  graphFromEstate,
  NATIVE_DEPENDENCY_FIELD,
  STACK_RECORD_FIELDS,
  stackRecordsOf,
  type EstateGraph,
  type StackRecord,
} from './estate-graph.js';

/** One run of a stack as the dashboard lists it. */
export interface StackRun {
  id: string;
  state: string;
  type: string | null;
  /** Unix seconds (Spacelift's clock). */
  createdAt: number | null;
  /** Unix seconds of the latest state change, when known. */
  updatedAt: number | null;
  triggeredBy: string | null;
  title: string | null;
  commit: string | null;
  url: string;
}

/**
 * What the dashboard reads, as a small port: the Temporal and Spacelift-backed implementation
 * is {@link createDashboardSource}; API tests use an in-memory fake.
 */
export interface DashboardSource {
  /** The coordinator's estate; null when no coordinator runs yet. */
  estate(): Promise<EstateView | null>;
  cascades(limit: number): Promise<CascadeSummary[]>;
  cascade(idOrRunId: string): Promise<CascadeView | null>;
  cancel(cascadeId: string): Promise<void>;
  /** Freezes the estate; rejects with the coordinator's refusal (`ActionRefusedError`). */
  freeze(request: FreezeRequest): Promise<FreezeView>;
  /** Lifts the freeze; rejects with the coordinator's refusal (`ActionRefusedError`). */
  unfreeze(by: string): Promise<UnfreezeAnswer>;
  /** A person's verdict on a stack awaiting approval; rejects with the coordinator's refusal. */
  decide(request: ApprovalRequest, verdict: ApprovalDecision['verdict']): Promise<ApprovalDecision>;
  /** Resumes a cascade its failure budget paused; rejects with the coordinator's refusal. */
  resume(request: ResumeRequest): Promise<ResumeAnswer>;
  /** The operator controls in force (freeze, pending approvals, pauses); null when no coordinator runs yet. */
  controls(): Promise<ControlsView | null>;
  /** The page's graph (cached; a fresh read at most every few seconds). */
  graph(): Promise<EstateGraph>;
  /** Recent runs of a stack from Spacelift; null when the service has no Spacelift API. */
  stackRuns(stackId: string): Promise<StackRun[] | null>;
  /**
   * Unix ms each of these runs reached its terminal state, by run id, from Spacelift's run
   * history (the cascade view has when a run started, not when it ended); runs not ended yet,
   * or without a Spacelift API, are left out.
   */
  runEnds(runs: ReadonlyArray<{ stackId: string; runId: string }>): Promise<Record<string, number>>;
  /** spacelift: the graph is a read of every stack; coordinator: its stacks, without edges. */
  readonly graphSource: 'spacelift' | 'coordinator';
  /** The Spacelift account (host) the coordinator serves; null when not known. */
  readonly account: string | null;
}

/** Temporal did not answer a dashboard query in time. */
export class DashboardUnavailableError extends Error {
  override readonly name = 'DashboardUnavailableError';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`Temporal did not answer (${operation}); the page retries on its own`, options);
  }
}

export interface DashboardSourceOptions {
  coordinator: Coordinator;
  /** The service's Spacelift client (the simulator's in demo mode); null: the coordinator's view only. */
  api: SpaceliftApi | null;
  labelPrefix: string;
  runUrlBase: string;
  /**
   * The estate the worker's reconciliation passes read, when one runs in this process: the graph
   * comes from it while it is younger than `maxAgeMs`, and from a read of Spacelift only when not.
   */
  catalog?: { estate: EstateCatalog; maxAgeMs: number } | null;
  /** A graph younger than this is served as is; older, it is served and refreshed behind. Default 5 s. */
  graphMaxAgeMs?: number;
  /** Deadline of a query to the coordinator; default 5 s. */
  queryTimeoutMs?: number;
  /** Most runs listed per stack; default 10. */
  runLimit?: number;
  now?: () => number;
}

/** Reads every stack once (⌈M/50⌉ search pages), with native dependencies when the API gives them. */
async function readStacks(api: SpaceliftApi): Promise<StackRecord[]> {
  const search = (queryFields: string[]) => api.searchStacks({ queryFields });
  // An API without native dependencies on search results: labels still draw the graph.
  return stackRecordsOf(
    await search([...STACK_RECORD_FIELDS, NATIVE_DEPENDENCY_FIELD]).catch(() => search(STACK_RECORD_FIELDS)),
  );
}

/** The dashboard's reads over the coordinator (Temporal queries) and Spacelift. */
export function createDashboardSource(options: DashboardSourceOptions): DashboardSource {
  const { coordinator, api } = options;
  const maxAge = options.graphMaxAgeMs ?? 5_000;
  const timeout = options.queryTimeoutMs ?? 5_000;
  const runLimit = options.runLimit ?? 10;
  const now = options.now ?? Date.now;
  const base = options.runUrlBase.replace(/\/+$/, '');

  let cached: { graph: EstateGraph; at: number } | null = null;
  const endCache = new Map<string, number>();
  let reading: Promise<EstateGraph> | null = null;

  // A closed coordinator (terminated, or not yet restarted) answers queries only while a worker
  // replays it: after a failed query, ask Temporal whether it runs, and skip queries for a while.
  let closedUntil = 0;
  const closed = async (): Promise<boolean> => {
    try {
      if (await coordinator.isRunning()) return false;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) return false;
    }
    closedUntil = now() + 5_000;
    return true;
  };

  const query = async <T>(operation: string, fn: () => Promise<T>, missing: T): Promise<T> => {
    if (now() < closedUntil) return missing;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DashboardUnavailableError(operation)), timeout);
        }),
      ]);
    } catch (err) {
      // No coordinator yet (no delivery, no worker started it): nothing to show, not an error.
      if (err instanceof WorkflowNotFoundError) return missing;
      if (await closed()) return missing;
      if (err instanceof DashboardUnavailableError) throw err;
      throw new DashboardUnavailableError(operation, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };

  // Every open page polls each second: viewers share one query per half second.
  let recent: { at: number; answer: Promise<EstateView | null> } | null = null;
  const estate = (): Promise<EstateView | null> => {
    if (recent && now() - recent.at < 500) return recent.answer;
    const answer = query('estate', () => coordinator.estate(), null);
    recent = { at: now(), answer };
    answer.catch(() => {
      if (recent?.answer === answer) recent = null;
    });
    return answer;
  };

  const read = (): Promise<EstateGraph> => {
    // Cleared only once assigned: a read that needs no I/O (the pass's catalog) ends at once.
    reading ??= (async () => {
      const fromPass = options.catalog?.estate.read(options.catalog.maxAgeMs, now()) ?? null;
      const graph = fromPass
        ? buildEstateGraph(fromPass, options.labelPrefix)
        : api
          ? buildEstateGraph(await readStacks(api), options.labelPrefix)
          : graphFromEstate(await estate());
      cached = { graph, at: now() };
      return graph;
    })().finally(() => {
      reading = null;
    });
    return reading;
  };

  return {
    graphSource: api ? 'spacelift' : 'coordinator',
    get account() {
      return coordinator.ref.account ?? null;
    },
    estate,
    cascades: (limit) => query('cascades', () => coordinator.cascades(limit), []),
    cascade: (id) => query('cascade', () => coordinator.cascade(id), null),
    cancel: (id) => query('cancel', () => coordinator.cancel(id), undefined),
    freeze: (request) => coordinator.freeze(request),
    unfreeze: (by) => coordinator.unfreeze(by),
    decide: (request, verdict) =>
      verdict === 'approved' ? coordinator.approve(request) : coordinator.reject(request),
    resume: (request) => coordinator.resume(request),
    controls: () => query('controls', () => coordinator.controls(), null),
    async graph() {
      if (!cached) return read();
      // Stale while revalidating: the page never waits for a read once it has a graph.
      if (now() - cached.at > maxAge) read().catch(() => undefined);
      return cached.graph;
    },
    async runEnds(runs) {
      const ends: Record<string, number> = {};
      if (!api) return ends;
      const missing = runs.filter((r) => !endCache.has(r.runId)).slice(0, 100);
      // A few at a time: a cascade of hundreds of stacks reads its run ends over a few polls.
      for (let i = 0; i < missing.length; i += 8) {
        await Promise.all(
          missing.slice(i, i + 8).map(async ({ stackId, runId }) => {
            const run = await api.getRun(stackId, runId).catch(() => null);
            const terminal = (run?.history ?? []).filter((h) => h.terminal).map((h) => h.timestamp);
            // Ended runs never change: cached for good (bounded, oldest dropped first).
            if (terminal.length) endCache.set(runId, Math.max(...terminal) * 1000);
            if (endCache.size > 10_000) endCache.delete(endCache.keys().next().value!);
          }),
        );
      }
      for (const { runId } of runs) {
        const end = endCache.get(runId);
        if (end !== undefined) ends[runId] = end;
      }
      return ends;
    },
    async stackRuns(stackId) {
      if (!api) return null;
      const runs = (await api.getStackRuns(stackId)) ?? [];
      return runs.slice(0, runLimit).map((r) => {
        const times = (r.history ?? []).map((h) => h.timestamp).filter((t) => typeof t === 'number');
        return {
          id: r.id,
          state: r.state,
          type: r.type ?? null,
          createdAt: r.createdAt ?? null,
          updatedAt: times.length ? Math.max(...times) : null,
          triggeredBy: r.triggeredBy ?? null,
          title: r.title ?? null,
          commit: r.commit?.hash ?? null,
          url: `${base}/stack/${stackId}/run/${r.id}`,
        };
      });
    },
  };
}
