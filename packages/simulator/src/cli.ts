#!/usr/bin/env node
import { CommanderError } from 'commander';
import { cliConfig, cliProgram, CliUsageError, type CliFlags } from './cli-options.js';
import { runSourceCommands } from './run-source-commands.js';
import { defaultSimulatorUrl, simulatorBaseUrl, type SimulatorAction } from './simulator-requests.js';
import { startSimulator } from './simulator.js';
import { stackBehaviourCommand } from './stack-behaviour-command.js';

/** Exit code for bad command-line input (and refused run-source commands). */
const USAGE = 2;

function fail(error: unknown): never {
  if (!(error instanceof CliUsageError)) throw error;
  process.stderr.write(`spacelift-simulator: ${error.message}\n(run spacelift-simulator --help for usage)\n`);
  process.exit(USAGE);
}

async function serve(flags: CliFlags): Promise<void> {
  let config;
  try {
    config = cliConfig(flags, process.env);
  } catch (error) {
    fail(error);
  }
  const sim = await startSimulator({
    ...config,
    log: (message) => process.stdout.write(`spacelift-simulator: ${message}\n`),
  });
  const { stacks } = config.seed;
  process.stdout.write(
    [
      `Spacelift simulator listening on ${sim.url}`,
      ...sim.apiKeys.map((k) => `  API key id: ${k.id} (${k.name}; JWTs valid ${config.jwtTtlSeconds} s)`),
      `  ${stacks.length} stacks seeded; runs spend ${config.stateDurationMs} ms per state` +
        `; workers: ${config.workers === 0 ? 'no limit' : config.workers}` +
        (config.latencyMs > 0 ? `; API latency ${config.latencyMs} ms` : ''),
      `  webhooks: ${config.webhooks.urls.length > 0 ? config.webhooks.urls.join(', ') : 'no --webhook-url'}` +
        "; each stack's webhook integrations get its runs too",
      `  pages: ${sim.baseUrl}/stack/<id> and ${sim.baseUrl}/stack/<id>/run/<run id>`,
      `  start runs from outside: spacelift-simulator push --url ${sim.baseUrl} --stack <id> (also ui-run, drift-run)`,
      `  change how a stack's runs end: spacelift-simulator behave <id> --url ${sim.baseUrl} --outcome no-changes`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    const disabled = sim.stats.webhooks.filter((w) => w.disabled).map((w) => w.url);
    if (disabled.length > 0)
      process.stdout.write(`spacelift-simulator: disabled webhooks: ${disabled.join(', ')}\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const program = cliProgram()
  .exitOverride()
  .action((flags: CliFlags) => serve(flags));
const simulatorAction: SimulatorAction = async (url, perform) => {
  try {
    const baseUrl = simulatorBaseUrl(url ?? defaultSimulatorUrl(process.env));
    process.stdout.write(`${await perform(baseUrl)}\n`);
  } catch (error) {
    fail(error);
  }
};
for (const command of [...runSourceCommands(simulatorAction), stackBehaviourCommand(simulatorAction)]) {
  program.addCommand(command.exitOverride());
}
try {
  await program.parseAsync(process.argv);
} catch (error) {
  // commander has printed the problem (or the help) already.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : USAGE);
  throw error;
}
