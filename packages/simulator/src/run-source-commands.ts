import { Command, InvalidArgumentError } from 'commander';
import { CliUsageError } from './cli-options.js';

/*
 * `spacelift-simulator push | ui-run | drift-run`: start runs on a running simulator the way a
 * real account's other sources do, through its simulator-only mutations.
 */

const RUN_FIELDS = 'id simulatorStackId state type triggeredBy driftDetection commit { hash }';

/** A run as these commands print it. */
interface StartedRun {
  id: string;
  simulatorStackId: string;
  state: string;
  type: string;
  triggeredBy: string | null;
  driftDetection: boolean;
  commit: { hash: string };
}

/** A GraphQL request for one of the simulator-only mutations. Pure. */
export interface RunSourceRequest {
  query: string;
  variables: Record<string, unknown>;
  /** Where the runs are in `data`. */
  field: 'simulatorPush' | 'simulatorUiRun' | 'simulatorDriftRun';
}

export function pushRequest(stacks: string[], commitSha?: string, message?: string): RunSourceRequest {
  return {
    query: `mutation SimulatorPush($stacks: [ID!]!, $commitSha: String, $message: String) {
  simulatorPush(stacks: $stacks, commitSha: $commitSha, message: $message) { ${RUN_FIELDS} }
}`,
    variables: { stacks, commitSha: commitSha ?? null, message: message ?? null },
    field: 'simulatorPush',
  };
}

export function uiRunRequest(stack: string, user: string, runType: string): RunSourceRequest {
  return {
    query: `mutation SimulatorUiRun($stack: ID!, $user: String!, $runType: RunType) {
  simulatorUiRun(stack: $stack, user: $user, runType: $runType) { ${RUN_FIELDS} }
}`,
    variables: { stack, user, runType },
    field: 'simulatorUiRun',
  };
}

export function driftRunRequest(stack: string): RunSourceRequest {
  return {
    query: `mutation SimulatorDriftRun($stack: ID!) { simulatorDriftRun(stack: $stack) { ${RUN_FIELDS} } }`,
    variables: { stack },
    field: 'simulatorDriftRun',
  };
}

/** The simulator's port when none is given: `SIMULATOR_PORT` (as in the cascade's demo), else 4000. */
export const DEFAULT_SIMULATOR_PORT = 4000;

/**
 * Where the commands find the simulator without `--url`: `http://127.0.0.1:<SIMULATOR_PORT>`,
 * else port 4000. Pure.
 *
 * @throws {CliUsageError} when `SIMULATOR_PORT` is not a port number.
 */
export function defaultSimulatorUrl(env: NodeJS.ProcessEnv): string {
  const value = env.SIMULATOR_PORT?.trim();
  if (!value) return `http://127.0.0.1:${DEFAULT_SIMULATOR_PORT}`;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new CliUsageError(`SIMULATOR_PORT "${value}" is not a port (1-65535); fix it or pass --url.`);
  }
  return `http://127.0.0.1:${port}`;
}

/** The simulator's base URL from `--url` (its `/graphql` endpoint works too). */
export function simulatorBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliUsageError(`--url "${url}" is not a URL; expected e.g. http://127.0.0.1:4000`);
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, '').replace(/\/graphql$/, '');
}

/** Sends the request; the runs it started, or a {@link CliUsageError} with the simulator's message. */
export async function sendRunSourceRequest(
  baseUrl: string,
  request: RunSourceRequest,
): Promise<StartedRun[]> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: request.query, variables: request.variables }),
    });
  } catch (error) {
    // fetch says "fetch failed"; the reason (ECONNREFUSED...) is its cause's code.
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new CliUsageError(
      `cannot reach the simulator at ${baseUrl} (${why}): is it running there? ` +
        'Pass its address with --url (e.g. --url http://127.0.0.1:4000) or set SIMULATOR_PORT.',
    );
  }
  const body = (await response.json().catch(() => null)) as {
    data?: Record<string, StartedRun | StartedRun[]> | null;
    errors?: Array<{ message: string }>;
  } | null;
  if (!body || body.errors?.length || !body.data) {
    const why = body?.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`;
    throw new CliUsageError(`the simulator refused: ${why}`);
  }
  const runs = body.data[request.field]!;
  return Array.isArray(runs) ? runs : [runs];
}

/** One line per run: stack, id, type, who, and its page. Pure. */
export function describeRuns(baseUrl: string, runs: StartedRun[]): string {
  if (runs.length === 0) return 'no run started (disabled stacks ignore pushes)';
  return runs
    .map((run) => {
      const stack = run.simulatorStackId;
      const who = run.triggeredBy ?? (run.driftDetection ? 'drift detection' : 'git push');
      const page = `${baseUrl}/stack/${encodeURIComponent(stack)}/run/${run.id}`;
      return `${stack}: run ${run.id} (${run.type}, ${who}, commit ${run.commit.hash.slice(0, 7)}) ${page}`;
    })
    .join('\n');
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const runType = (value: string): string => {
  if (!['TRACKED', 'PROPOSED', 'TASK'].includes(value)) {
    throw new InvalidArgumentError('expected TRACKED, PROPOSED or TASK.');
  }
  return value;
};

/**
 * The subcommands; `run` gets `--url` (undefined when not given: see
 * {@link defaultSimulatorUrl}) and sends the request, printing what it started.
 */
export function runSourceCommands(
  run: (url: string | undefined, request: RunSourceRequest) => Promise<void>,
): Command[] {
  const url = [
    '--url <url>',
    `the simulator (default: http://127.0.0.1:$SIMULATOR_PORT when set, else http://127.0.0.1:${DEFAULT_SIMULATOR_PORT})`,
  ] as const;
  return [
    new Command('push')
      .description(
        'simulator-only: a git push of one commit to these stacks (tracked runs, triggeredBy null)',
      )
      .option(...url)
      .requiredOption('--stack <id>', 'a stack the push touches (repeatable)', collect, [])
      .option('--commit <sha>', 'the commit (default: a random one)')
      .option('--message <text>', 'the commit message')
      .action((o: { url?: string; stack: string[]; commit?: string; message?: string }) =>
        run(o.url, pushRequest(o.stack, o.commit, o.message)),
      ),
    new Command('ui-run')
      .description('simulator-only: a run a user starts from the UI (triggeredBy is the user)')
      .option(...url)
      .requiredOption('--stack <id>', 'the stack')
      .requiredOption('--user <name>', 'who clicked "Trigger"')
      .option('--run-type <type>', 'TRACKED, PROPOSED or TASK', runType, 'TRACKED')
      .action((o: { url?: string; stack: string; user: string; runType: string }) =>
        run(o.url, uiRunRequest(o.stack, o.user, o.runType)),
      ),
    new Command('drift-run')
      .description('simulator-only: a drift-detection run (tracked, driftDetection true)')
      .option(...url)
      .requiredOption('--stack <id>', 'the stack')
      .action((o: { url?: string; stack: string }) => run(o.url, driftRunRequest(o.stack))),
  ];
}
