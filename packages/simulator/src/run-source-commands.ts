import { Command, InvalidArgumentError } from 'commander';
import {
  sendSimulatorRequest,
  URL_OPTION,
  type SimulatorAction,
  type SimulatorRequest,
} from './simulator-requests.js';

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

export function pushRequest(stacks: string[], commitSha?: string, message?: string): SimulatorRequest {
  return {
    query: `mutation SimulatorPush($stacks: [ID!]!, $commitSha: String, $message: String) {
  simulatorPush(stacks: $stacks, commitSha: $commitSha, message: $message) { ${RUN_FIELDS} }
}`,
    variables: { stacks, commitSha: commitSha ?? null, message: message ?? null },
    field: 'simulatorPush',
  };
}

function uiRunRequest(stack: string, user: string, runType: string): SimulatorRequest {
  return {
    query: `mutation SimulatorUiRun($stack: ID!, $user: String!, $runType: RunType) {
  simulatorUiRun(stack: $stack, user: $user, runType: $runType) { ${RUN_FIELDS} }
}`,
    variables: { stack, user, runType },
    field: 'simulatorUiRun',
  };
}

function driftRunRequest(stack: string): SimulatorRequest {
  return {
    query: `mutation SimulatorDriftRun($stack: ID!) { simulatorDriftRun(stack: $stack) { ${RUN_FIELDS} } }`,
    variables: { stack },
    field: 'simulatorDriftRun',
  };
}

/** Starts the runs of a run-source request. */
async function startRuns(baseUrl: string, request: SimulatorRequest): Promise<StartedRun[]> {
  const runs = (await sendSimulatorRequest(baseUrl, request)) as StartedRun | StartedRun[];
  return Array.isArray(runs) ? runs : [runs];
}

/** One line per run: stack, id, type, who, and its page. Pure. */
function describeRuns(baseUrl: string, runs: StartedRun[]): string {
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

/** The subcommands; each hands `run` its `--url` and the request that starts its runs. */
export function runSourceCommands(run: SimulatorAction): Command[] {
  const start = (u: string | undefined, request: SimulatorRequest) =>
    run(u, async (baseUrl) => describeRuns(baseUrl, await startRuns(baseUrl, request)));
  return [
    new Command('push')
      .description(
        'simulator-only: a git push of one commit to these stacks (tracked runs, triggeredBy null)',
      )
      .option(...URL_OPTION)
      .requiredOption('--stack <id>', 'a stack the push touches (repeatable)', collect, [])
      .option('--commit <sha>', 'the commit (default: a random one)')
      .option('--message <text>', 'the commit message')
      .action((o: { url?: string; stack: string[]; commit?: string; message?: string }) =>
        start(o.url, pushRequest(o.stack, o.commit, o.message)),
      ),
    new Command('ui-run')
      .description('simulator-only: a run a user starts from the UI (triggeredBy is the user)')
      .option(...URL_OPTION)
      .requiredOption('--stack <id>', 'the stack')
      .requiredOption('--user <name>', 'who clicked "Trigger"')
      .option('--run-type <type>', 'TRACKED, PROPOSED or TASK', runType, 'TRACKED')
      .action((o: { url?: string; stack: string; user: string; runType: string }) =>
        start(o.url, uiRunRequest(o.stack, o.user, o.runType)),
      ),
    new Command('drift-run')
      .description('simulator-only: a drift-detection run (tracked, driftDetection true)')
      .option(...URL_OPTION)
      .requiredOption('--stack <id>', 'the stack')
      .action((o: { url?: string; stack: string }) => start(o.url, driftRunRequest(o.stack))),
  ];
}
