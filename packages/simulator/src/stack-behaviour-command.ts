import { Command, InvalidArgumentError } from 'commander';
import { CliUsageError } from './cli-options.js';
import { RunOutcomeSchema, type RunOutcome } from './spacelift/seed-schema.js';
import {
  sendSimulatorRequest,
  URL_OPTION,
  type SimulatorAction,
  type SimulatorRequest,
} from './simulator-requests.js';

/*
 * `spacelift-simulator behave <stack> --outcome ... --changes-outputs ...`: change how a
 * stack's runs end on a running simulator (fix a failing stack, make one start changing
 * things), through the simulator-only `simulatorSetStackBehaviour`.
 */

/** A stack's behaviour as the mutation returns it. */
export interface StackBehaviourAnswer {
  stackId: string;
  outcome: RunOutcome;
  changesOutputs: number;
  resources: number;
}

/** The mutation's request; knobs left undefined keep their value. Pure. */
function stackBehaviourRequest(
  stack: string,
  knobs: { outcome?: RunOutcome; changesOutputs?: number },
): SimulatorRequest {
  return {
    query: `mutation SimulatorSetStackBehaviour($stack: ID!, $input: SimulatorStackBehaviourInput!) {
  simulatorSetStackBehaviour(stack: $stack, input: $input) { stackId outcome changesOutputs resources }
}`,
    variables: { stack, input: knobs },
    field: 'simulatorSetStackBehaviour',
  };
}

const OUTCOME_EFFECT: Record<RunOutcome, string> = {
  FINISHED: 'apply changes (a non-zero delta)',
  NO_CHANGES: 'change nothing (a zero delta, outputs kept)',
  OUTPUTS_ONLY: 'change one output and no resource (a zero delta)',
  FAILED: 'fail after planning',
  UNCONFIRMED: 'apply changes once confirmed (a non-zero delta)',
};

/** One line: what the stack's next runs do. Pure. */
function describeStackBehaviour(b: StackBehaviourAnswer): string {
  const outputs =
    b.outcome === 'FINISHED' || b.outcome === 'UNCONFIRMED'
      ? `, changing an output with probability ${b.changesOutputs}`
      : '';
  return `${b.stackId}: its next runs end ${b.outcome}: ${OUTCOME_EFFECT[b.outcome]}${outputs} (${b.resources} resources now)`;
}

/** `finished`, `no-changes`, `OUTPUTS_ONLY`... as a {@link RunOutcome}. */
function parseOutcome(value: string): RunOutcome {
  const parsed = RunOutcomeSchema.safeParse(value.trim().toUpperCase().replaceAll('-', '_'));
  if (!parsed.success) {
    const names = RunOutcomeSchema.options.map((o) => o.toLowerCase().replaceAll('_', '-'));
    throw new InvalidArgumentError(`expected one of ${names.join(', ')}.`);
  }
  return parsed.data;
}

/** A probability from 0 to 1; `true` and `false` read as 1 and 0. */
function parseProbability(value: string): number {
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === 'false') return Number(text === 'true');
  const p = Number(text);
  if (text === '' || !Number.isFinite(p) || p < 0 || p > 1) {
    throw new InvalidArgumentError('expected a probability from 0 to 1 (or true or false).');
  }
  return p;
}

/** The `behave` subcommand; hands `run` its `--url` and the request. */
export function stackBehaviourCommand(run: SimulatorAction): Command {
  return new Command('behave')
    .description(
      "simulator-only: how a stack's next runs end and whether they change its outputs (no restart)",
    )
    .argument('<stack>', 'the stack')
    .option(...URL_OPTION)
    .option(
      '--outcome <outcome>',
      'finished, no-changes, outputs-only, failed or unconfirmed (default: unchanged)',
      parseOutcome,
    )
    .option(
      '--changes-outputs <p>',
      'probability (0-1, or true/false) that a run applying changes also changes an output',
      parseProbability,
    )
    .action((stack: string, o: { url?: string; outcome?: RunOutcome; changesOutputs?: number }) =>
      run(o.url, async (baseUrl) => {
        if (o.outcome === undefined && o.changesOutputs === undefined) {
          throw new CliUsageError('behave needs --outcome, --changes-outputs or both.');
        }
        const request = stackBehaviourRequest(stack, {
          outcome: o.outcome,
          changesOutputs: o.changesOutputs,
        });
        return describeStackBehaviour((await sendSimulatorRequest(baseUrl, request)) as StackBehaviourAnswer);
      }),
    );
}
