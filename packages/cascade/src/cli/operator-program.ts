/**
 * The operator commands' registrations (freeze, unfreeze): light, so `--help` stays fast; each
 * action loads `operator-commands.ts` when it runs.
 */
import { type Command, InvalidArgumentError, type Option } from 'commander';
import type { Coordinator } from '../temporal/coordinator.js';
import type * as OperatorCommands from './operator-commands.js';
import type { Output } from './output.js';

/** Runs an operator action with the coordinator of the command's configuration; sets the exit code. */
export type OperatorRunner = (
  cmd: Command,
  action: (commands: typeof OperatorCommands, coordinator: Coordinator, o: Output) => Promise<number>,
) => Promise<void>;

const AS_HELP = 'who acts, as the coordinator records it (default: your OS user name)';

/** Adds `freeze`, `unfreeze`, and `cascades approve|reject|resume` to the program. */
export function addOperatorCommands(program: Command, dataDirOption: Option, run: OperatorRunner): void {
  const cascades = program.commands.find((c) => c.name() === 'cascades') ?? program;
  for (const [name, verdict, what] of [
    [
      'approve',
      'approved',
      'Approve a stack labelled cascade:approval in a cascade: it may run (in that cascade)',
    ],
    [
      'reject',
      'rejected',
      'Reject a stack labelled cascade:approval in a cascade: it and what is below it end blocked',
    ],
  ] as const) {
    cascades
      .command(name)
      .description(what)
      .argument('<cascade>', 'cascade id (cascade-<run id>) or the id of a run in it')
      .argument('<stack>', 'the stack awaiting approval')
      .option('--note <text>', 'a note shown with the verdict')
      .option('--as <name>', AS_HELP)
      .addOption(dataDirOption)
      .action((cascadeId: string, stackId: string, flags: { note?: string; as?: string }, cmd: Command) =>
        run(cmd, ({ verdictCommand }, coordinator, o) =>
          verdictCommand(coordinator, { cascadeId, stackId, ...flags }, verdict, o),
        ),
      );
  }

  cascades
    .command('resume')
    .description('Resume a cascade its failure budget (CASCADE_MAX_FAILURES) paused: what it held may run')
    .argument('<cascade>', 'cascade id (cascade-<run id>) or the id of a run in it')
    .option('--as <name>', AS_HELP)
    .addOption(dataDirOption)
    .action((cascadeId: string, flags: { as?: string }, cmd: Command) =>
      run(cmd, ({ resumeCommand }, coordinator, o) => resumeCommand(coordinator, { cascadeId, ...flags }, o)),
    );

  program
    .command('freeze')
    .description(
      'Freeze the estate: no stack is triggered until unfreeze (or --until); runs in flight go on, needs keep accumulating',
    )
    .option('--reason <text>', 'why, shown in every view')
    .option('--until <time>', 'lift it by itself: 16:00 (local), 90m, 2h, or an ISO 8601 time', (v) =>
      parseUntil(v),
    )
    .option('--as <name>', AS_HELP)
    .addOption(dataDirOption)
    .action((flags: { reason?: string; until?: number; as?: string }, cmd: Command) =>
      run(cmd, ({ freezeCommand }, coordinator, o) => freezeCommand(coordinator, flags, o)),
    );

  program
    .command('unfreeze')
    .description('Lift the freeze: each stack that waited runs once, in order')
    .option('--as <name>', AS_HELP)
    .addOption(dataDirOption)
    .action((flags: { as?: string }, cmd: Command) =>
      run(cmd, ({ unfreezeCommand }, coordinator, o) => unfreezeCommand(coordinator, flags, o)),
    );
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--until`: a time of day (`16:00`, the next one, local time), a duration from now (`90m`,
 * `2h`, `1d`) or an ISO 8601 time (`2026-05-04T16:00+02:00`). Throws a usage message otherwise.
 */
function parseUntil(text: string, now = Date.now()): number {
  const value = text.trim();
  const clock = /^(\d{1,2}):(\d{2})$/.exec(value);
  if (clock) {
    const [hours, minutes] = [Number(clock[1]), Number(clock[2])];
    if (hours > 23 || minutes > 59) throw new InvalidArgumentError(`${value} is not a time of day.`);
    const at = new Date(now);
    at.setHours(hours, minutes, 0, 0);
    if (at.getTime() <= now) at.setDate(at.getDate() + 1);
    return at.getTime();
  }
  const span = DURATION.exec(value);
  if (span) return now + Number(span[1]) * UNIT_MS[span[2]!]!;
  const iso = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isFinite(iso)) return iso;
  throw new InvalidArgumentError(
    'give a time of day (16:00), a duration from now (90m, 2h, 1d) or an ISO 8601 time (2026-05-04T16:00+02:00).',
  );
}
