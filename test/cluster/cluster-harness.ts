/**
 * The parts of a cluster test or bench that are ours: `spacelift-cascade webhook` and `worker`
 * as real processes, a round-robin balancer in front of the receivers, a layered stack estate,
 * and a recorder of the simulator's runs (the Spacelift-side facts the contract is checked on).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { StackRun } from './contract-check.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/cascade/src/cli.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every child still running, so a crashed test run does not leave them behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The environment without anything of this shell's own Temporal/Spacelift/cascade settings. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(VITEST|SPACELIFT_|TEMPORAL_|CASCADE_|SIMULATOR_)/.test(k) &&
        !['PORT', 'HOST', 'NODE_OPTIONS'].includes(k),
    ),
  );
  return { ...env, NO_COLOR: '1', ...extra };
}

/**
 * One `spacelift-cascade <command>` process (`node --conditions=source --import tsx cli.ts`),
 * its output appended to `logFile`; start it again after a kill with the same settings.
 */
export class CascadeProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  starts = 0;

  constructor(
    readonly name: string,
    private readonly command: 'webhook' | 'worker',
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts it and waits for its "ready" line. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is running`);
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, this.command], {
      cwd: REPO,
      env: this.env,
      stdio: ['ignore', 'pipe', log],
    });
    closeSync(log);
    this.child = child;
    this.starts++;
    live.add(child);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (!out.includes('spacelift-cascade is ready')) {
      if (this.child !== child || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${this.name} did not get ready:\n${out}\n${this.logTail()}`);
      }
      await sleep(100);
    }
  }

  /** Sends `signal` and waits for the process to be gone (SIGKILL after 10 s). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(chars = 3000): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }
}

/**
 * A round-robin HTTP balancer in front of the receivers, like a load balancer with passive
 * health checks: a backend that refuses a connection answers that request 502 (the sender
 * retries) and is left out for `downForMs`; the retry goes to another backend.
 */
export class RoundRobinBalancer {
  private next = 0;
  private readonly downUntil = new Map<string, number>();
  readonly forwarded = new Map<string, number>();
  badGateway = 0;
  private server: Server | null = null;
  url = '';

  constructor(
    private readonly backends: string[],
    private readonly downForMs = 5_000,
  ) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  private pick(): string {
    const now = Date.now();
    for (let i = 0; i < this.backends.length; i++) {
      const backend = this.backends[this.next++ % this.backends.length]!;
      if ((this.downUntil.get(backend) ?? 0) <= now) return backend;
    }
    return this.backends[this.next++ % this.backends.length]!;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const backend = this.pick();
      const target = new URL(req.url ?? '/', backend);
      const out = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          this.forwarded.set(backend, (this.forwarded.get(backend) ?? 0) + 1);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => {
        this.downUntil.set(backend, Date.now() + this.downForMs);
        this.badGateway++;
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      out.end(Buffer.concat(chunks));
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface EstateStack {
  id: string;
  labels: string[];
}

/**
 * A layered estate: `root`, then `layers` layers of `width` stacks; each stack depends on three
 * of the layer above (so one change reaches most of what is below it, through many diamonds).
 */
export function layeredEstate(layers: number, width: number): EstateStack[] {
  const stacks: EstateStack[] = [{ id: 'root', labels: [] }];
  const id = (layer: number, at: number) => `l${layer}-s${at % width}`;
  for (let layer = 1; layer <= layers; layer++) {
    for (let at = 0; at < width; at++) {
      const ups =
        layer === 1
          ? ['root']
          : [...new Set([id(layer - 1, at), id(layer - 1, at + 1), id(layer - 1, at + 7)])];
      stacks.push({ id: id(layer, at), labels: ups.map((u) => `dependsOn:${u}`) });
    }
  }
  return stacks;
}

export function upstreamMap(stacks: EstateStack[]): Map<string, string[]> {
  return new Map(
    stacks.map((s) => [s.id, s.labels.filter((l) => l.startsWith('dependsOn:')).map((l) => l.slice(10))]),
  );
}

/** A run state change as the simulator's store (or a thread running it) reports it. */
interface RecordedChange {
  run: { id: string; stackId: string };
  transition: { state: string; terminal: boolean; timestampMillis: number };
}

/**
 * Every run the simulator creates, with millisecond creation and end times (the store keeps
 * seconds), as the simulator recorded them.
 */
export class RunRecorder {
  readonly runs = new Map<string, StackRun>();
  lastChange = Date.now();
  private readonly unsubscribe: () => void;

  constructor(source: { onRunStateChange(listener: (change: RecordedChange) => void): () => void }) {
    this.unsubscribe = source.onRunStateChange(({ run, transition }) => {
      const now = transition.timestampMillis;
      this.lastChange = now;
      const known = this.runs.get(run.id);
      if (!known) {
        this.runs.set(run.id, {
          runId: run.id,
          stackId: run.stackId,
          createdAt: now,
          endedAt: null,
          endState: null,
        });
      }
      if (transition.terminal) {
        const record = this.runs.get(run.id)!;
        record.endedAt = now;
        record.endState = transition.state;
      }
    });
  }

  /** Runs created at or after `since`. */
  since(since: number): StackRun[] {
    return [...this.runs.values()].filter((r) => r.createdAt >= since);
  }

  inProgress(): StackRun[] {
    return [...this.runs.values()].filter((r) => r.endedAt === null);
  }

  stop(): void {
    this.unsubscribe();
  }
}
