/**
 * The simulator in a thread of its own (see threaded-simulator.ts): it stands for Spacelift,
 * which runs on other machines, so its work (GraphQL, run lifecycles, signing and sending
 * webhooks) does not share the event loop of the receiver and worker being measured.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startSimulator } from 'spacelift-simulator';
import type { SimulatorThreadOptions, ThreadReply, ThreadRequest } from './threaded-simulator.js';

/** The run id of a delivery body (`run` comes before `stack` in the payload). */
const RUN_ID = /"run":\{"id":"([^"]+)"/;

const port = parentPort!;
const options = workerData as SimulatorThreadOptions;
/** Run id -> when the receiver accepted the run's first delivery (ms). */
const firstAccepted = new Map<string, number>();
const sim = await startSimulator({
  stateDurationMs: options.stateDurationMs,
  seed: { stacks: options.stacks },
  apiKey: options.apiKey,
  webhooks: options.webhooks,
  fetch: async (input, init) => {
    const answer = await fetch(input, init);
    const runId = typeof init?.body === 'string' ? RUN_ID.exec(init.body)?.[1] : undefined;
    if (answer.ok && runId !== undefined && !firstAccepted.has(runId)) firstAccepted.set(runId, Date.now());
    return answer;
  },
});
sim.store.onRunStateChange(({ run, transition }) => {
  const reply: ThreadReply = {
    kind: 'change',
    run: { id: run.id, stackId: run.stackId, triggeredBy: run.triggeredBy },
    transition: {
      state: transition.state,
      terminal: transition.terminal,
      timestampMillis: transition.timestampMillis,
    },
  };
  port.postMessage(reply);
});
port.on('message', (request: ThreadRequest) => {
  const answer = (value: unknown) =>
    port.postMessage({ kind: 'answer', id: request.id, value } satisfies ThreadReply);
  switch (request.op) {
    case 'trigger': {
      const run = sim.store.triggerRun(request.stackId, {
        type: 'TRACKED',
        triggeredBy: request.triggeredBy,
      });
      answer({ id: run.id, stackId: run.stackId });
      return;
    }
    case 'stats':
      answer({
        apiCalls: { ...sim.stats.apiCalls },
        deliveries: { ...sim.stats.deliveries },
        firstAccepted: Object.fromEntries(firstAccepted),
      });
      return;
    case 'close':
      void sim.close().then(() => answer(null));
      return;
  }
});
port.postMessage({ kind: 'ready', baseUrl: sim.baseUrl, apiKey: sim.apiKey } satisfies ThreadReply);
