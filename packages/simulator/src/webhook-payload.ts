import type { RunStateChange } from 'spacelift-client/testing';

/**
 * Spacelift's documented default webhook payload for a run state change (the shape of
 * spacelift-api/webhooks/run-finished-tracked.json, keys in the same order).
 */
export interface RunStateWebhookPayload {
  account: string;
  state: string;
  stateVersion: number;
  timestamp: number;
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
    delta: { added: number; changed: number; deleted: number; resources: number };
    triggeredBy: string;
    type: string;
  };
  stack: { id: string; name: string; description: string; labels: string[] };
}

/** The payload for one state change. Pure. */
export function runStateWebhookPayload(account: string, change: RunStateChange): RunStateWebhookPayload {
  const { run, stack, transition } = change;
  const { commit } = run;
  return {
    account,
    state: transition.state,
    stateVersion: transition.stateVersion,
    timestamp: transition.timestamp,
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
      delta: { added: 0, changed: 0, deleted: 0, resources: 0 },
      triggeredBy: run.triggeredBy,
      type: run.type,
    },
    stack: {
      id: stack.id,
      name: stack.name,
      description: stack.description ?? '',
      labels: [...stack.labels],
    },
  };
}
