import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, type SpaceliftApi } from 'spacelift-client';
import { buildDependencyGraph, closureNodes } from '../../packages/cascade/src/graph/dependency-graph.js';
import { LABEL_PREFIX, ROOT_STACK } from './graph-shapes.js';

/** The fields of a run-state webhook the plain script reads. */
interface Delivery {
  state: string;
  run: { id: string; type: string; triggeredBy: string };
  stack: { id: string };
}

/**
 * The no-Temporal baseline: a plain script with the same information the cascade has (the
 * simulator's signed webhooks, the API) and none of the durability. On the root run's
 * FINISHED webhook it reads the stack graph once, then triggers each stack as soon as all
 * its upstreams FINISHED (at most `maxParallel` open at once), learning run ends from their
 * webhooks only. Returns the URL to give the simulator and a promise of the end.
 */
export async function startScriptBaseline(options: {
  api: () => SpaceliftApi;
  secret: string;
  /** `triggeredBy` of the runs this script triggers. */
  identity: string;
  maxParallel: number;
}): Promise<{ url: string; done: Promise<void>; close: () => Promise<void> }> {
  const { identity, maxParallel } = options;
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const waitingFor = new Map<string, number>();
  const downstreams = new Map<string, string[]>();
  const ready: string[] = [];
  let open = 0;
  let remaining = -1;

  const pump = () => {
    while (open < maxParallel && ready.length > 0) {
      const stackId = ready.pop()!;
      open++;
      options.api().triggerRun(stackId).catch(reject);
    }
  };
  const finished = (stackId: string) => {
    for (const down of downstreams.get(stackId) ?? []) {
      const left = waitingFor.get(down)! - 1;
      waitingFor.set(down, left);
      if (left === 0) ready.push(down);
    }
    pump();
  };
  const start = async () => {
    const stacks = await options.api().searchStacks({ queryFields: ['id', 'labels'] });
    const graph = buildDependencyGraph(
      stacks.map((s) => ({ id: s.id!, labels: s.labels ?? [] })),
      LABEL_PREFIX,
    );
    const nodes = closureNodes(graph, ROOT_STACK).filter((n) => n.id !== ROOT_STACK);
    remaining = nodes.length;
    for (const node of nodes) {
      waitingFor.set(node.id, node.dependsOn.length);
      for (const up of node.dependsOn) downstreams.set(up, [...(downstreams.get(up) ?? []), node.id]);
    }
    finished(ROOT_STACK);
  };

  const onDelivery = (body: Delivery) => {
    if (body.state !== 'FINISHED') return;
    if (body.stack.id === ROOT_STACK && body.run.triggeredBy !== identity) {
      start().catch(reject);
    } else if (body.run.triggeredBy === identity) {
      open--;
      remaining--;
      if (remaining === 0) resolve();
      else finished(body.stack.id);
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers['x-signature-256'];
      if (
        !verifyWebhookSignature([options.secret], raw, Array.isArray(signature) ? signature[0] : signature)
      ) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200).end();
      try {
        onDelivery(JSON.parse(raw.toString('utf8')) as Delivery);
      } catch (err) {
        reject(err);
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    done,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
