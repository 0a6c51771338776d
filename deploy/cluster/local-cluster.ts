/**
 * The production shape on one machine: PostgreSQL on 127.0.0.1:5433 and the four Temporal
 * services (frontend on 7233, history, matching, worker) as separate processes, configured by
 * the same temporal.yaml docker-compose.yml mounts. `up` is idempotent (it starts only what is
 * not running); `down` stops exactly what `up` started, found by the pid files in the data
 * folder and checked against each process's command line, so a recycled pid is never hit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, lstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import {
  CLUSTER_CONFIG_DIR,
  TEMPORAL_CONFIG_FILE,
  TEMPORAL_SERVICES,
  readTemporalConfig,
  type TemporalClusterConfig,
  type TemporalService,
} from './cluster-config.js';
import {
  placePostgres,
  postgresBaseProblem,
  PostgresPlacementError,
  POSTGRES_USER,
  type PostgresPlacement,
} from './postgres-placement.js';

export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
/** The Go toolchain the server release builds with (GOTOOLCHAIN fetches it when older). */
export const GO_TOOLCHAIN = 'go1.27.3';
export const NAMESPACE = 'default';
/** Prometheus port of each service process (one config file, so the port comes from the env). */
export const METRICS_PORTS: Record<TemporalService, number> = {
  frontend: 9091,
  history: 9092,
  matching: 9093,
  worker: 9094,
};

/** Something the cluster needs is missing or did not start; the message says what to do. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

export interface LocalClusterOptions {
  /**
   * Holds the logs and pid files, and PostgreSQL's data unless run as root (then it is in a
   * folder of the `postgres` user's, see `postgres`). Default `${CASCADE_DATA_DIR:-.data}/cluster`.
   */
  dataDir?: string;
  /** Where the `server` and `sql` binaries live (built there when missing). */
  binDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Build the binaries with `go install` when missing (default true). */
  build?: boolean;
  /**
   * As root, PostgreSQL's folder goes under this one (default `${CASCADE_CLUSTER_POSTGRES_ROOT:-/var/tmp}`):
   * the `postgres` user must be able to enter it.
   */
  postgresRoot?: string;
}

/** The default binary folder: a cache outside any clone, so every checkout and CI run reuse it. */
export function defaultBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'spacelift-cascade', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** gRPC NOT_FOUND. */
const GRPC_NOT_FOUND = 5;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, 1);
    return true;
  } catch {
    return false;
  }
}

/** Is something listening on (or holding) 127.0.0.1:port? */
function portTaken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(false)));
  });
}

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() || null;
  } catch {
    return null;
  }
}

function tail(path: string, chars = 3000): string {
  try {
    return readFileSync(path, 'utf8').slice(-chars).trim();
  } catch {
    return '(no log)';
  }
}

export class LocalCluster {
  readonly dataDir: string;
  readonly binDir: string;
  readonly config: TemporalClusterConfig;
  readonly address: string;
  private readonly log: (line: string) => void;
  private readonly build: boolean;
  private readonly postgresRoot: string | undefined;
  private pgBinDir: string | null = null;
  private placed: PostgresPlacement | null = null;

  constructor(options: LocalClusterOptions = {}) {
    this.dataDir = resolve(options.dataDir ?? join(process.env.CASCADE_DATA_DIR || '.data', 'cluster'));
    this.binDir = options.binDir ?? defaultBinDir();
    this.log = options.log ?? (() => undefined);
    this.build = options.build ?? true;
    this.postgresRoot = options.postgresRoot ?? (process.env.CASCADE_CLUSTER_POSTGRES_ROOT || undefined);
    this.config = readTemporalConfig();
    this.address = `127.0.0.1:${this.config.services.frontend.grpcPort}`;
  }

  get serverBin(): string {
    return join(this.binDir, 'server');
  }
  get sqlToolBin(): string {
    return join(this.binDir, 'sql');
  }
  /**
   * Where PostgreSQL's files are and as whom it runs: in the data folder as the invoking user,
   * or, as root, as `postgres` in a folder of its own outside the clone (see postgres-placement.ts).
   */
  get postgres(): PostgresPlacement {
    if (this.placed) return this.placed;
    const uid = process.getuid?.() ?? -1;
    try {
      this.placed = placePostgres({
        clusterDataDir: this.dataDir,
        uid,
        postgresUser: uid === 0 ? systemUser(POSTGRES_USER) : null,
        postgresRoot: this.postgresRoot,
      });
    } catch (err) {
      if (err instanceof PostgresPlacementError) throw new ClusterError(err.message);
      throw err;
    }
    return this.placed;
  }
  get pgDataDir(): string {
    return this.postgres.dataDir;
  }
  logFile(part: TemporalService | 'postgresql' | 'setup-schema'): string {
    if (part === 'postgresql') return this.postgres.logFile;
    return join(this.dataDir, 'logs', part === 'setup-schema' ? `${part}.log` : `temporal-${part}.log`);
  }
  private pidFile(service: TemporalService): string {
    return join(this.dataDir, 'pids', `temporal-${service}.pid`);
  }

  /** Starts whatever is not running yet and waits until the `default` namespace takes workflows. */
  async up(timeoutMs = 120_000): Promise<void> {
    const started = Date.now();
    await this.ensureBinaries();
    await mkdir(join(this.dataDir, 'logs'), { recursive: true, mode: 0o755 });
    await mkdir(join(this.dataDir, 'pids'), { recursive: true });
    await this.checkPorts();
    await this.startPostgres();
    this.setupSchema();
    // One after the other: on a fresh database, services started together race to write the
    // cluster metadata and all but one exit.
    for (const service of TEMPORAL_SERVICES) await this.startServiceAndWait(service);
    await this.waitUntilReady(timeoutMs);
    this.log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s: Temporal at ${this.address}`);
  }

  /** Stops the Temporal services, then PostgreSQL; returns what it stopped. */
  async down(): Promise<string[]> {
    const stopped: string[] = [];
    for (const service of [...TEMPORAL_SERVICES].reverse()) {
      const pid = await this.stopService(service, 'SIGTERM');
      if (pid !== null) stopped.push(`temporal ${service} (pid ${pid})`);
    }
    const pgPid = this.postgresPid();
    if (pgPid !== null) {
      this.pgCtl(['stop', '-m', 'fast', '-w']);
      stopped.push(`postgresql (pid ${pgPid})`);
    }
    for (const line of stopped) this.log(`stopped ${line}`);
    return stopped;
  }

  /** Stops everything, then deletes the data folder and PostgreSQL's (a fresh database next `up`). */
  async remove(): Promise<void> {
    await this.down();
    await rm(this.dataDir, { recursive: true, force: true });
    const { base, runAs } = this.postgres;
    // As root PostgreSQL's folder is outside the data folder; never follow a link planted there.
    if (runAs !== null && existsSync(base)) {
      if (lstatSync(base).isSymbolicLink()) throw new ClusterError(`${base} is a link: remove it by hand`);
      await rm(base, { recursive: true, force: true });
    }
    this.log(`removed ${this.dataDir}${runAs !== null ? ` and ${base}` : ''}`);
  }

  /** pid of each running part (null when not running). */
  status(): Record<TemporalService | 'postgresql', number | null> {
    const status = { postgresql: this.postgresPid() } as Record<
      TemporalService | 'postgresql',
      number | null
    >;
    for (const service of TEMPORAL_SERVICES) status[service] = this.servicePid(service);
    return status;
  }

  /** The pid of our running process for `service`, or null. */
  servicePid(service: TemporalService): number | null {
    const file = this.pidFile(service);
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').trim());
    const cmd = Number.isInteger(pid) && pid > 0 ? cmdline(pid) : null;
    // Ours: this binary, this config, this service (a recycled pid would not match all three).
    const ours =
      cmd !== null &&
      cmd.includes(this.serverBin) &&
      cmd.includes(TEMPORAL_CONFIG_FILE) &&
      cmd.endsWith(`--service ${service}`);
    return ours ? pid : null;
  }

  /** Starts one Temporal service process unless it runs already; returns its pid. */
  startService(service: TemporalService): number {
    const running = this.servicePid(service);
    if (running !== null) return running;
    const logFd = openSync(this.logFile(service), 'a');
    const child = spawn(
      this.serverBin,
      ['--config-file', TEMPORAL_CONFIG_FILE, '--allow-no-auth', 'start', '--service', service],
      {
        // dynamicconfig.yaml is found relative to the working folder, as in the container.
        cwd: CLUSTER_CONFIG_DIR,
        env: { ...process.env, TEMPORAL_METRICS_PORT: String(METRICS_PORTS[service]) },
        detached: true,
        stdio: ['ignore', logFd, logFd],
      },
    );
    closeSync(logFd);
    const pid = child.pid;
    if (pid === undefined)
      throw new ClusterError(`temporal ${service} did not start: ${tail(this.logFile(service))}`);
    // At once and synchronously: `down` finds the process only through this file.
    writeFileSync(this.pidFile(service), `${pid}\n`);
    child.unref();
    this.log(`temporal ${service}: pid ${pid}, log ${this.logFile(service)}`);
    return pid;
  }

  /** Starts one service (unless it runs) and waits until its gRPC port listens. */
  async startServiceAndWait(service: TemporalService, timeoutMs = 60_000): Promise<number> {
    const pid = this.startService(service);
    const deadline = Date.now() + timeoutMs;
    while (!(await portTaken(this.config.services[service].grpcPort))) {
      if (this.servicePid(service) === null)
        throw new ClusterError(`temporal ${service} exited while starting:\n${tail(this.logFile(service))}`);
      if (Date.now() > deadline)
        throw new ClusterError(
          `temporal ${service} not listening after ${timeoutMs} ms:\n${tail(this.logFile(service))}`,
        );
      await sleep(100);
    }
    return pid;
  }

  /**
   * Sends `signal` to our process for `service` and waits for it to exit (SIGKILL after 10 s);
   * returns its pid, or null when it was not running.
   */
  async stopService(service: TemporalService, signal: NodeJS.Signals): Promise<number | null> {
    const pid = this.servicePid(service);
    await rm(this.pidFile(service), { force: true });
    if (pid === null) return null;
    process.kill(pid, signal);
    const deadline = Date.now() + 10_000;
    while (cmdline(pid) !== null && !isZombie(pid)) {
      if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
      await sleep(50);
    }
    return pid;
  }

  /** Restarts PostgreSQL; `immediate` aborts it as a crash would (recovery on start). */
  restartPostgres(mode: 'fast' | 'immediate' = 'fast'): void {
    this.pgCtl(['restart', '-m', mode, '-w', '-o', this.postgresOptions()]);
  }

  /** Immediate, synchronous stop of everything (for `process.on('exit')` after a crash). */
  killNowSync(): void {
    for (const service of TEMPORAL_SERVICES) {
      const pid = this.servicePid(service);
      if (pid !== null) process.kill(pid, 'SIGKILL');
    }
    if (this.postgresPid() !== null) this.pgCtl(['stop', '-m', 'immediate']);
  }

  // --- binaries ---

  /** The server and SQL tool, built with `go install` into binDir when missing. */
  async ensureBinaries(): Promise<void> {
    if ((await isExecutable(this.serverBin)) && (await isExecutable(this.sqlToolBin))) return;
    const how =
      `GOBIN=${this.binDir} GOTOOLCHAIN=${GO_TOOLCHAIN} go install go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION} ` +
      `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`;
    if (!this.build)
      throw new ClusterError(`Temporal server binaries missing in ${this.binDir}. Build them: ${how}`);
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.status !== 0) {
      throw new ClusterError(
        `Temporal server binaries missing in ${this.binDir} and no Go toolchain to build them (install Go, then: ${how})`,
      );
    }
    this.log(
      `building the Temporal server ${TEMPORAL_SERVER_VERSION} (about 6 min on 2 cores, once): ${how}`,
    );
    await mkdir(this.binDir, { recursive: true });
    const built = await new Promise<number | null>((done) => {
      const child = spawn(
        'go',
        [
          'install',
          `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
          `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
        ],
        { env: { ...process.env, GOBIN: this.binDir, GOTOOLCHAIN: GO_TOOLCHAIN }, stdio: 'inherit' },
      );
      child.once('exit', (code) => done(code));
    });
    if (built !== 0 || !(await isExecutable(this.serverBin))) {
      throw new ClusterError(`building the Temporal server failed (exit ${built}); run by hand: ${how}`);
    }
  }

  // --- PostgreSQL ---

  private findPostgres(): string {
    if (this.pgBinDir) return this.pgBinDir;
    const candidates = [
      ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
      ...['17', '16', '15', '14', '13', '12'].map((v) => `/usr/lib/postgresql/${v}/bin`),
    ];
    const dir = candidates.find((d) => existsSync(join(d, 'pg_ctl')) && existsSync(join(d, 'initdb')));
    if (!dir) {
      throw new ClusterError(
        'PostgreSQL not found (no pg_ctl and initdb on PATH or in /usr/lib/postgresql/*/bin): ' +
          'apt-get install -y postgresql-15',
      );
    }
    this.pgBinDir = dir;
    return dir;
  }

  /**
   * Runs a PostgreSQL program as PostgreSQL's user (initdb refuses root: as root, the `postgres`
   * user the Debian package creates), in a folder that user can enter: initdb and pg_ctl go back
   * to their working folder, and a clone in a 0700 folder is closed to `postgres`.
   */
  private runPostgres(command: string, args: string[], timeoutMs: number) {
    const { runAs, cwd } = this.postgres;
    const [cmd, argv] =
      runAs === null ? [command, args] : ['runuser', ['-u', runAs.name, '--', command, ...args]];
    return spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs, cwd });
  }

  private pgCtl(args: string[]): void {
    const result = this.runPostgres(
      join(this.findPostgres(), 'pg_ctl'),
      [...args, '-D', this.pgDataDir, '-l', this.logFile('postgresql')],
      60_000,
    );
    if (result.status !== 0) {
      throw new ClusterError(
        `pg_ctl ${args[0]} failed: ${result.stderr || result.stdout || result.error?.message}\n${tail(this.logFile('postgresql'))}`,
      );
    }
  }

  private postgresOptions(): string {
    const { host, port } = this.config.database;
    return `-p ${port} -c listen_addresses=${host} -c unix_socket_directories=${this.pgDataDir}`;
  }

  /** The postmaster's pid when our PostgreSQL runs. */
  postgresPid(): number | null {
    const file = join(this.pgDataDir, 'postmaster.pid');
    let pid: number;
    try {
      pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
    const cmd = cmdline(pid);
    return cmd !== null && cmd.includes('postgres') && cmd.includes(this.pgDataDir) ? pid : null;
  }

  private async startPostgres(): Promise<void> {
    if (this.postgresPid() !== null) return;
    await this.initPostgres();
    await writeFile(this.logFile('postgresql'), '', { flag: 'a' });
    this.ownByPostgres(this.logFile('postgresql'));
    this.pgCtl(['start', '-w', '-t', '60', '-o', this.postgresOptions()]);
    this.log(
      `postgresql: pid ${this.postgresPid()}, 127.0.0.1:${this.config.database.port}, data ${this.pgDataDir}`,
    );
  }

  /** As root, gives a file or folder to PostgreSQL's user. */
  private ownByPostgres(path: string): void {
    const { runAs } = this.postgres;
    if (runAs) chownSync(path, runAs.uid, runAs.gid);
  }

  /** PostgreSQL's folder (as root: its own, outside the clone) and a database cluster in it (initdb), unless there. */
  async initPostgres(): Promise<void> {
    const bin = this.findPostgres();
    const { user, password } = this.config.database;
    const { base, runAs } = this.postgres;
    if (runAs !== null) await this.preparePostgresBase(base, runAs);
    const own = (path: string) => this.ownByPostgres(path);
    if (!existsSync(join(this.pgDataDir, 'PG_VERSION'))) {
      this.log(`initdb ${this.pgDataDir}${runAs ? ` (as ${runAs.name})` : ''}`);
      await mkdir(this.pgDataDir, { recursive: true, mode: 0o700 });
      own(this.pgDataDir);
      const pwFile = join(base, `.pw-${randomBytes(4).toString('hex')}`);
      await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
      own(pwFile);
      try {
        const result = this.runPostgres(
          join(bin, 'initdb'),
          [
            '-D',
            this.pgDataDir,
            '--username',
            user,
            '--pwfile',
            pwFile,
            '--auth-host',
            'scram-sha-256',
            '--auth-local',
            'trust',
            '--encoding',
            'UTF8',
            '--no-instructions',
          ],
          120_000,
        );
        if (result.status !== 0)
          throw new ClusterError(`initdb failed: ${result.stderr || result.stdout || result.error?.message}`);
      } finally {
        await rm(pwFile, { force: true });
      }
    }
  }

  /**
   * As root: PostgreSQL's own folder (0700, owned by `postgres`), created when missing and
   * refused when someone else's (it is in a folder every user writes to).
   */
  private async preparePostgresBase(
    base: string,
    owner: { name: string; uid: number; gid: number },
  ): Promise<void> {
    try {
      await mkdir(base, { mode: 0o700 });
      chownSync(base, owner.uid, owner.gid);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new ClusterError(
          `cannot create ${base}: its parent folder does not exist. Set CASCADE_CLUSTER_POSTGRES_ROOT to a folder ` +
            `every user can enter (default /var/tmp), or run as a user other than root`,
        );
      }
      if (code !== 'EEXIST') throw err;
    }
    const stat = lstatSync(base);
    const problem = postgresBaseProblem(
      base,
      {
        isDirectory: stat.isDirectory(),
        isSymbolicLink: stat.isSymbolicLink(),
        uid: stat.uid,
        mode: stat.mode,
      },
      owner.uid,
    );
    if (problem) throw new ClusterError(problem);
    const enters = spawnSync('runuser', ['-u', owner.name, '--', 'test', '-w', base]);
    if (enters.status !== 0) {
      throw new ClusterError(
        `the ${owner.name} user cannot enter ${base} (a folder above it is closed to it): set ` +
          'CASCADE_CLUSTER_POSTGRES_ROOT to a folder every user can enter (default /var/tmp), ' +
          'or run `npm run cluster -- up` as a user other than root',
      );
    }
  }

  /** Both databases and schemas, by the same script docker-compose.yml runs (idempotent). */
  private setupSchema(): void {
    const { host, port, user, password } = this.config.database;
    const logFile = this.logFile('setup-schema');
    const logFd = openSync(logFile, 'w');
    const result = spawnSync('sh', [join(CLUSTER_CONFIG_DIR, 'setup-schema.sh')], {
      env: {
        ...process.env,
        TEMPORAL_SQL_TOOL: this.sqlToolBin,
        SQL_HOST: host,
        SQL_PORT: String(port),
        SQL_USER: user,
        SQL_PASSWORD: password,
      },
      stdio: ['ignore', logFd, logFd],
      timeout: 120_000,
    });
    closeSync(logFd);
    if (result.status !== 0)
      throw new ClusterError(`schema setup failed (log ${logFile}):\n${tail(logFile)}`);
    this.log(`schemas ready (log ${logFile})`);
  }

  // --- readiness ---

  private async checkPorts(): Promise<void> {
    const wanted: Array<[string, number]> = [];
    if (this.postgresPid() === null) wanted.push(['postgresql', this.config.database.port]);
    for (const service of TEMPORAL_SERVICES) {
      if (this.servicePid(service) !== null) continue;
      const { grpcPort, membershipPort } = this.config.services[service];
      wanted.push([`temporal ${service}`, grpcPort], [`temporal ${service} membership`, membershipPort]);
      wanted.push([`temporal ${service} metrics`, METRICS_PORTS[service]]);
      if (service === 'frontend') wanted.push(['temporal frontend http', this.config.frontendHttpPort]);
    }
    const taken: string[] = [];
    for (const [what, port] of wanted) if (await portTaken(port)) taken.push(`${port} (${what})`);
    if (taken.length > 0) {
      throw new ClusterError(
        `ports in use on 127.0.0.1: ${taken.join(', ')}. Another Temporal, PostgreSQL or cluster runs ` +
          '(stop a local cluster with `npm run cluster -- down`, an embedded one with Ctrl-C).',
      );
    }
  }

  /** Until the frontend answers, the namespace exists, and a workflow can be started in it. */
  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      for (const service of TEMPORAL_SERVICES) {
        if (this.servicePid(service) === null) {
          throw new ClusterError(
            `temporal ${service} exited while starting:\n${tail(this.logFile(service))}`,
          );
        }
      }
      try {
        await this.checkNamespace();
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() > deadline) {
        throw new ClusterError(
          `Temporal at ${this.address} not ready after ${timeoutMs} ms: ${lastError}\n${tail(this.logFile('frontend'))}`,
        );
      }
      await sleep(500);
    }
  }

  private async checkNamespace(): Promise<void> {
    const connection = await Connection.connect({ address: this.address, connectTimeout: 2_000 });
    try {
      const service = connection.workflowService;
      try {
        await service.describeNamespace({ namespace: NAMESPACE });
      } catch (err) {
        if ((err as { code?: number }).code !== GRPC_NOT_FOUND) throw err;
        await service.registerNamespace({
          namespace: NAMESPACE,
          workflowExecutionRetentionPeriod: msToTs('3 days'),
        });
        this.log(`registered namespace ${NAMESPACE}`);
      }
      // The namespace cache of history and matching lags a registration by seconds: a probe
      // workflow (terminated at once) shows the namespace really takes work.
      const workflowId = `cluster-ready-probe-${randomBytes(4).toString('hex')}`;
      await service.startWorkflowExecution({
        namespace: NAMESPACE,
        workflowId,
        workflowType: { name: 'clusterReadyProbe' },
        taskQueue: { name: 'cluster-ready-probe' },
        requestId: workflowId,
      });
      await service.terminateWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId },
        reason: 'readiness probe',
      });
    } finally {
      await connection.close();
    }
  }
}

/** A system user's ids (`id -u`, `id -g`), or null when there is no such user. */
function systemUser(name: string): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
