import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, vi } from 'vitest';
import type { Simulator } from '../src/index.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: { state: string; stateVersion: number; run: { id: string }; stack: { id: string } };
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A local webhook endpoint answering with `status(n)` for its n-th request (0-based). */
export async function receiver(status: (n: number) => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      res.statusCode = status(received.length);
      received.push({ headers: req.headers, body, payload: JSON.parse(body) as Received['payload'] });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Triggers a tracked run of `stack` and waits until it has ended and every delivery went out. */
export async function runToEnd(sim: Simulator, stack = 'network'): Promise<string> {
  const run = (await sim.mock.triggerRun(stack)).id;
  await vi.waitFor(() => expect(sim.store.runs.get(stack, run)?.state).toBe('FINISHED'), { interval: 5 });
  await sim.webhooksIdle();
  return run;
}
