import type { RunStateChange } from './spacelift/runs.js';

/**
 * A run state change delivery as a real Spacelift account sends it: the documented default
 * payload (spacelift-api/webhooks/run-finished-tracked.json, keys in the same order) plus the
 * fields a captured 2025 delivery also carries (`timestamp_millis`, `note`, `event_source`,
 * `event_type`, `run.url`, `run.driftDetection`, `stack.repository`, `stack.url`, `stack.vcs`,
 * `workerPool`). `triggeredBy`, `delta` and `description` are null where a real one is.
 */
export interface RunStateWebhookPayload {
  account: string;
  state: string;
  stateVersion: number;
  timestamp: number;
  timestamp_millis: number;
  note: string | null;
  event_source: 'spacelift';
  event_type: 'run_state_changed_event';
  run: {
    id: string;
    branch: string;
    commit: {
      authorLogin: string | null;
      authorName: string | null;
      hash: string;
      message: string;
      timestamp: number;
      url: string | null;
    };
    createdAt: number;
    /**
     * Known once planning has ended (null while the run is queued, preparing or planning): what
     * the run adds, changes and deletes; `resources` is the stack's total, not a change.
     */
    delta: { added: number; changed: number; deleted: number; resources: number } | null;
    driftDetection: boolean;
    triggeredBy: string | null;
    type: string;
    url: string;
  };
  stack: {
    id: string;
    name: string;
    description: string | null;
    labels: string[];
    repository: string;
    url: string;
    vcs: string;
  };
  workerPool: { id: string | null; name: string | null; public: boolean };
}

/**
 * The payload for one state change; `baseUrl` is the account URL that run and stack links start
 * with. Build it when the change happens: the run (its delta) is read as it is then.
 */
export function runStateWebhookPayload(
  account: string,
  baseUrl: string,
  change: RunStateChange,
): RunStateWebhookPayload {
  const { run, stack, transition } = change;
  const { commit } = run;
  const stackUrl = `${baseUrl}/stack/${encodeURIComponent(stack.id)}`;
  return {
    account,
    state: transition.state,
    stateVersion: transition.stateVersion,
    timestamp: transition.timestamp,
    timestamp_millis: transition.timestampMillis,
    note: transition.note,
    event_source: 'spacelift',
    event_type: 'run_state_changed_event',
    run: {
      id: run.id,
      branch: run.branch,
      commit: {
        authorLogin: commit.authorLogin,
        authorName: commit.authorName,
        hash: commit.hash,
        message: commit.message,
        timestamp: commit.timestamp,
        url: commit.url,
      },
      createdAt: run.createdAt,
      delta: run.delta && {
        added: run.delta.addCount,
        changed: run.delta.changeCount,
        deleted: run.delta.deleteCount,
        resources: run.delta.resources,
      },
      driftDetection: run.driftDetection,
      triggeredBy: run.triggeredBy,
      type: run.type,
      url: `${stackUrl}/run/${encodeURIComponent(run.id)}`,
    },
    stack: {
      id: stack.id,
      name: stack.name,
      description: stack.description,
      labels: [...stack.labels],
      repository: stack.repository,
      url: stackUrl,
      vcs: 'GITHUB',
    },
    workerPool: { id: null, name: null, public: true },
  };
}
