#!/usr/bin/env node
import { CommanderError } from 'commander';
import { cliConfig, cliProgram, CliUsageError, type CliFlags } from './cli-options.js';
import { startSimulator } from './simulator.js';

/** Exit code for bad command-line input. */
const USAGE = 2;

async function main(): Promise<void> {
  const program = cliProgram().exitOverride();
  try {
    program.parse(process.argv);
  } catch (error) {
    // commander has printed the problem (or the help) already.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : USAGE);
    throw error;
  }
  let config;
  try {
    config = cliConfig(program.opts<CliFlags>(), process.env);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(
      `spacelift-simulator: ${error.message}\n(run spacelift-simulator --help for usage)\n`,
    );
    process.exit(USAGE);
  }
  const sim = await startSimulator(config);
  const { stacks } = config.seed;
  process.stdout.write(
    [
      `Spacelift simulator listening on ${sim.url}`,
      `  API key id: ${sim.apiKey.id} (JWTs valid ${config.jwtTtlSeconds} s)`,
      `  ${stacks.length} stacks seeded; runs spend ${config.stateDurationMs} ms per state`,
      `  webhooks: ${config.webhooks.urls.length > 0 ? config.webhooks.urls.join(', ') : 'none'}`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
