import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parse as parseDotenv } from 'dotenv';
import type { SpaceliftApi } from 'spacelift-client';
import { ConfigError } from '../config/config-error.js';
import type { ServiceConfig, SpaceliftCredentials } from '../config/service-config.js';
import {
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_SIMULATOR_PORT,
  DEFAULT_TEMPORAL_PORT,
  DEFAULT_TEMPORAL_UI_PORT,
  DEFAULT_WEBHOOK_HOST,
  DEFAULT_WEBHOOK_PORT,
} from '../constants.js';
import type { Coordinator } from '../temporal/coordinator.js';
import type * as CascadeCommands from './cascade-commands.js';
import type { TemporalAddressSource } from './coordinator-session.js';
import { demoEnvPath, readDemoEnv } from './demo-env.js';
import {
  GRAPH_FORMATS,
  graphCommand,
  planCommand,
  UnknownStackError,
  type GraphFormat,
} from './graph-commands.js';
import { addOperatorCommands } from './operator-program.js';
import type { Output } from './output.js';

// Only light modules above (commander, dotenv, constants, the pure graph code: 3 ms together):
// `--help` must answer in well under 0.3 s. Each action loads what it needs (the configuration's
// zod schemas, the Spacelift client, the Temporal SDK, the service) when it runs: loading all of
// it up front cost 0.65 s before any command ran.

/** Exit code of usage errors: unknown flags, bad values, invalid configuration. */
export const EXIT_USAGE = 2;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  isTty: boolean;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: Promise<string>;
}

const positiveInt = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`${flag} must be a whole number of at least 1.`);
  return Number(value);
};
const webhookUrl = (value: string) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL like https://cascade.example.com/webhook.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError('must be an http(s) URL like https://cascade.example.com/webhook.');
  return value;
};
const port = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535).');
  return value;
};

/**
 * Environment for a command: the `.env` file (or `--env-file`) under the real environment, then
 * flags over both. Flags become the variables they stand for, so one validation covers all.
 */
function environment(io: CliIo, envFile: string | undefined, overrides: Record<string, string | undefined>) {
  const path = envFile ?? '.env';
  if (envFile !== undefined && !existsSync(path)) throw new ConfigError([`--env-file ${path}: no such file`]);
  const fromFile = existsSync(path) ? parseDotenv(readFileSync(path)) : {};
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...fromFile, ...io.env, ...defined };
}

interface Ctx {
  config: ServiceConfig;
  o: Output;
  /** Where the Temporal address came from, to explain an unreachable one. */
  temporalSource: TemporalAddressSource;
}

async function spaceliftApi(config: ServiceConfig): Promise<SpaceliftApi> {
  const credentials = spaceliftCredentials(config);
  const { Spacelift } = await import('spacelift-client');
  return new Spacelift(credentials);
}

/** The graph `graph` and `plan` show: a running service's of this account, or Spacelift's (see service-graph.ts). */
async function graphOf(config: ServiceConfig, fresh = false) {
  const spacelift = spaceliftCredentials(config);
  const { commandGraph } = await import('./service-graph.js');
  return commandGraph({ ...config, spacelift }, fresh, () => spaceliftApi(config));
}

function spaceliftCredentials(config: ServiceConfig): SpaceliftCredentials {
  if (config.spacelift) return config.spacelift;
  throw new ConfigError([
    'SPACELIFT_BASE_URL, SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET are not set, and no demo is running ' +
      `(no ${config.dataDir}/demo.env): set them, or run \`spacelift-cascade start\` in another terminal first`,
  ]);
}

/**
 * Where a command's Temporal address comes from: TEMPORAL_ADDRESS, the running demo's settings,
 * or the default local address on TEMPORAL_PORT (`own` is the configuration without the demo's).
 */
function addressSource(
  own: ServiceConfig,
  demo: Record<string, string> | null,
  lookedForDemo: boolean,
): TemporalAddressSource {
  const dataDir = resolve(own.dataDir);
  if (own.temporal.address !== null) return { kind: 'TEMPORAL_ADDRESS' };
  if (demo?.TEMPORAL_ADDRESS) return { kind: 'demo', demoEnvPath: demoEnvPath(dataDir) };
  return {
    kind: 'TEMPORAL_PORT',
    dataDir,
    demoEnvPath: lookedForDemo && !demo ? demoEnvPath(dataDir) : null,
  };
}

/** This package's version, read from its package.json (the same path from src/ and dist/). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** What `start --help` adds: the settings a user changes first, with their defaults. */
const START_SETTINGS = `
Settings a user changes first (environment, or the .env file):
  TEMPORAL_PORT       the embedded Temporal's gRPC port (default ${DEFAULT_TEMPORAL_PORT});
                      TEMPORAL_UI_PORT its Web UI (default ${DEFAULT_TEMPORAL_UI_PORT})
  SIMULATOR_PORT      the demo's Spacelift simulator (default ${DEFAULT_SIMULATOR_PORT})
  CASCADE_ADMIN_PORT  dashboard, /api, /docs and /metrics (default ${DEFAULT_ADMIN_PORT},
                      on CASCADE_ADMIN_HOST ${DEFAULT_ADMIN_HOST})
  PORT, HOST          the webhook receiver (default ${DEFAULT_WEBHOOK_HOST}:${DEFAULT_WEBHOOK_PORT});
                      or --port, --host
  CASCADE_DATA_DIR    the data folder (default ${DEFAULT_DATA_DIR}); or --data-dir: Temporal's
                      SQLite file, and the demo.env by which other commands
                      join the demo
  TEMPORAL_ADDRESS    host:port of a Temporal of your own, instead of the
                      embedded one
  SPACELIFT_BASE_URL, SPACELIFT_KEY_ID, SPACELIFT_KEY_SECRET
                      a real Spacelift account, instead of the demo's simulator
A second start on this machine needs its own ports and data folder.`;

/** Builds the `spacelift-cascade` program; `run` resolves to the process exit code. */
export function buildProgram(io: CliIo): { program: Command; exitCode: () => number } {
  let exitCode = 0;
  const program = new Command('spacelift-cascade')
    .description('Run the Spacelift stacks that depend on a finished stack, in order, through Temporal.')
    .option('--env-file <path>', 'read variables from this file (default: .env when present)')
    .option('--json', 'print data as JSON')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  /**
   * Configuration for a command. Without Spacelift credentials, commands other than `start`
   * use the demo a running `start` wrote to the data folder (its simulator and Temporal).
   */
  const ctx = async (
    cmd: Command,
    options: {
      overrides?: Record<string, string | undefined>;
      requireWebhookSecret?: boolean;
      useDemo?: boolean;
      accountOnly?: boolean;
    } = {},
  ): Promise<Ctx> => {
    const globals = cmd.optsWithGlobals<{ envFile?: string; json?: boolean; dataDir?: string }>();
    const env = environment(io, globals.envFile, { CASCADE_DATA_DIR: globals.dataDir, ...options.overrides });
    const rules = {
      requireWebhookSecret: options.requireWebhookSecret ?? false,
      accountOnly: options.accountOnly ?? false,
    };
    const { loadServiceConfig } = await import('../config/service-config.js');
    const own = loadServiceConfig(env, rules);
    const joinsDemo = options.useDemo !== false && own.spacelift === null;
    const demo = joinsDemo ? await readDemoEnv(own.dataDir) : null;
    return {
      config: demo ? loadServiceConfig({ ...demo, ...env }, rules) : own,
      o: { out: io.out, json: globals.json === true, tty: io.isTty },
      temporalSource: addressSource(own, demo, joinsDemo),
    };
  };

  /** Runs `run` with the estate coordinator: the Temporal SDK and these commands load only now. */
  const coordinated = async (
    { config, temporalSource }: Ctx,
    run: (commands: typeof CascadeCommands, coordinator: Coordinator) => Promise<number>,
  ): Promise<number> => {
    const [{ withCoordinator }, commands] = await Promise.all([
      import('./coordinator-session.js'),
      import('./cascade-commands.js'),
    ]);
    return withCoordinator(config, temporalSource, (coordinator) => run(commands, coordinator));
  };

  const serve = async (
    cmd: Command,
    parts: { webhook: boolean; worker: boolean },
    flags: { port?: string; host?: string; demo?: boolean; seed?: string },
  ) => {
    const overrides = { PORT: flags.port, HOST: flags.host };
    // `start` runs its own demo (and generates its webhook secret); the halves alone join a running one.
    const useDemo = !(parts.webhook && parts.worker);
    // A receiver alone needs only the account it serves (SPACELIFT_BASE_URL), not a key.
    const accountOnly = parts.webhook && !parts.worker;
    const probe = await ctx(cmd, { overrides, useDemo, accountOnly });
    const needSecret = parts.webhook && (probe.config.spacelift !== null || useDemo);
    const { config } = needSecret
      ? await ctx(cmd, { overrides, useDemo, accountOnly, requireWebhookSecret: true })
      : probe;
    if (useDemo) {
      // The halves alone never start an embedded Temporal: they join the one `start` runs, or TEMPORAL_ADDRESS.
      config.temporal.address ??= `127.0.0.1:${config.temporal.port}`;
      if (parts.worker) spaceliftCredentials(config); // throws the explanatory ConfigError without them
      if (accountOnly && config.account === null) {
        throw new ConfigError([
          'SPACELIFT_BASE_URL is not set, and no demo is running ' +
            `(no ${config.dataDir}/demo.env): a receiver serves one Spacelift account; set it, or run \`spacelift-cascade start\` first`,
        ]);
      }
    }
    const { startService } = await import('./start-command.js');
    const service = await startService(
      config,
      { ...parts, demo: flags.demo !== false, seedPath: flags.seed },
      io.out,
    );
    const signal = await Promise.race([io.stopSignal, service.stopped.then(() => null)]);
    if (signal)
      io.out(`Received ${signal}: stopping (draining webhooks, then the worker, then Temporal) ...`);
    await service.stop();
    io.out('Stopped.');
  };

  const dataDirOption = new Option(
    '--data-dir <path>',
    'data folder (Temporal SQLite, demo settings); env CASCADE_DATA_DIR',
  );

  program
    .command('start')
    .description(
      'Run everything: embedded Temporal (unless TEMPORAL_ADDRESS), worker, webhook receiver, and the simulator with a demo when no Spacelift credentials are set',
    )
    .option('--port <port>', 'webhook port (env PORT, default 8000)', port)
    .option('--host <host>', 'webhook host (env HOST, default 0.0.0.0)')
    .option('--no-demo', 'in demo mode, do not push a demo run at start')
    .option(
      '--seed <file>',
      'simulator seed file for demo mode (default: the demo seed shipped in the package)',
    )
    .addOption(dataDirOption)
    .addHelpText('after', START_SETTINGS)
    .action((flags: { port?: string; host?: string; demo?: boolean; seed?: string }, cmd: Command) =>
      serve(cmd, { webhook: true, worker: true }, flags),
    );

  program
    .command('webhook')
    .description('Run only the webhook receiver (stateless; run many behind a load balancer)')
    .option('--port <port>', 'webhook port (env PORT, default 8000)', port)
    .option('--host <host>', 'webhook host (env HOST, default 0.0.0.0)')
    .addOption(dataDirOption)
    .action((flags: { port?: string; host?: string }, cmd: Command) =>
      serve(cmd, { webhook: true, worker: false }, { ...flags, demo: false }),
    );

  program
    .command('worker')
    .description('Run only a worker (scale out by running more on the same task queue)')
    .addOption(dataDirOption)
    .action((_flags: object, cmd: Command) => serve(cmd, { webhook: false, worker: true }, { demo: false }));

  program
    .command('connect')
    .description(
      'Make Spacelift deliver run events to the receiver: a webhook on every stack of the dependency graph (idempotent)',
    )
    .requiredOption(
      '--url <url>',
      "the receiver's public webhook URL, e.g. https://cascade.example.com/webhook",
      webhookUrl,
    )
    .option('--dry-run', 'print what would change; change nothing')
    .option('--remove', 'delete the webhooks connect made')
    .addOption(dataDirOption)
    .action(async (flags: { url: string; dryRun?: boolean; remove?: boolean }, cmd: Command) => {
      const { config, o } = await ctx(cmd);
      const credentials = spaceliftCredentials(config);
      const secret = config.webhook.secrets[0];
      if (secret === undefined && flags.remove !== true) {
        throw new ConfigError([
          'SPACELIFT_WEBHOOK_SECRET is not set: connect signs the webhooks it makes with it; set it to the secret your receiver checks',
        ]);
      }
      const { connectCommand, countingClient } = await import('../connect/connect-command.js');
      const report = await connectCommand(
        countingClient(credentials),
        {
          url: flags.url,
          secret: secret ?? '',
          labelPrefix: config.cascade.labelPrefix,
          dryRun: flags.dryRun === true,
          remove: flags.remove === true,
        },
        o,
      );
      exitCode = report.receiver && !report.receiver.ok ? 1 : 0;
    });

  program
    .command('graph')
    .description(
      "Print the stack dependency graph (a running service's, else read from Spacelift), with cycles and dangling labels",
    )
    .option('--root <stack-id>', 'only this stack and everything downstream of it')
    .option('--fresh', "read Spacelift now, not the graph a running service's reconciliation pass read")
    .addOption(new Option('--format <format>', 'output format').choices(GRAPH_FORMATS).default('tree'))
    .addOption(dataDirOption)
    .action(async (flags: { root?: string; format: GraphFormat; fresh?: boolean }, cmd: Command) => {
      const { config, o } = await ctx(cmd);
      exitCode = await graphCommand(await graphOf(config, flags.fresh), flags, o, io.err);
    });

  program
    .command('plan')
    .description(
      'Dry run: the cascade a finished run of this stack would start (waves, parallelism, cycles); triggers nothing',
    )
    .argument('<stack-id>')
    .option('--fresh', "read Spacelift now, not the graph a running service's reconciliation pass read")
    .addOption(dataDirOption)
    .action(async (stackId: string, flags: { fresh?: boolean }, cmd: Command) => {
      const { config, o } = await ctx(cmd);
      exitCode = planCommand(await graphOf(config, flags.fresh), stackId, o, io.err);
    });

  program
    .command('trigger')
    .description('Trigger a tracked run of a stack (as a push would); the coordinator cascades its change')
    .argument('<stack-id>')
    .option(
      '--follow',
      'show the cascade live until it ends; exit 0 success, 1 run failed or cascade canceled, 3 stacks failed or blocked',
    )
    .addOption(dataDirOption)
    .action(async (stackId: string, flags: { follow?: boolean }, cmd: Command) => {
      const c = await ctx(cmd);
      const api = await spaceliftApi(c.config);
      exitCode = await coordinated(c, ({ triggerCommand }, coordinator) =>
        triggerCommand(api, coordinator, stackId, { follow: flags.follow === true }, c.o),
      );
    });

  const cascades = program.command('cascades').description('List, inspect and cancel cascades');
  cascades
    .command('list')
    .description('Recent cascades (running ones first)')
    .option('--limit <n>', 'how many', positiveInt('--limit'), 20)
    .addOption(dataDirOption)
    .action(async (flags: { limit: number }, cmd: Command) => {
      const c = await ctx(cmd);
      exitCode = await coordinated(c, ({ listCommand }, coordinator) =>
        listCommand(coordinator, flags.limit, c.o),
      );
    });
  cascades
    .command('status')
    .description('Per-stack status of one cascade')
    .argument('<id>', 'cascade id (cascade-<run id>) or the id of a run in it')
    .addOption(dataDirOption)
    .action(async (id: string, _flags: object, cmd: Command) => {
      const c = await ctx(cmd);
      exitCode = await coordinated(c, ({ statusCommand }, coordinator) =>
        statusCommand(coordinator, id, c.o),
      );
    });
  cascades
    .command('cancel')
    .description('Cancel a cascade: no further stacks are triggered')
    .argument('<id>', 'cascade id (cascade-<run id>) or the id of a run in it')
    .addOption(dataDirOption)
    .action(async (id: string, _flags: object, cmd: Command) => {
      const c = await ctx(cmd);
      exitCode = await coordinated(c, ({ cancelCommand }, coordinator) =>
        cancelCommand(coordinator, id, c.o),
      );
    });

  addOperatorCommands(program, dataDirOption, async (cmd, action) => {
    const c = await ctx(cmd);
    const [{ withCoordinator }, commands] = await Promise.all([
      import('./coordinator-session.js'),
      import('./operator-commands.js'),
    ]);
    exitCode = await withCoordinator(c.config, c.temporalSource, (coordinator) =>
      action(commands, coordinator, c.o),
    );
  });

  for (const cmd of [program, ...program.commands, ...cascades.commands]) {
    cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
    cmd.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  }
  return { program, exitCode: () => exitCode };
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return EXIT_USAGE;
    }
    if (err instanceof UnknownStackError) {
      io.err(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    // An action threw: the module of each error below is loaded already when it was thrown.
    const { SpaceliftError } = await import('spacelift-client');
    if (err instanceof SpaceliftError) {
      io.err(`error: Spacelift: ${err.message}`);
      return 1;
    }
    const { UnknownCascadeError } = await import('./cascade-commands.js');
    if (err instanceof UnknownCascadeError) {
      io.err(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    // Errors of the setup (a taken port, a data folder in use) carry exit code 2: not a crash.
    return (err as { exitCode?: unknown } | null)?.exitCode === EXIT_USAGE ? EXIT_USAGE : 1;
  }
}
