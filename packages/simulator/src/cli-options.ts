import { Command, InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { readSeedFile, SeedFileError } from './seed-file.js';
import { SimulatorConfigSchema, type SimulatorConfig } from './simulator-options.js';

/** Bad command-line input; the message names the flag and how to fix it (never a secret). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** Where each config field comes from, so validation errors name the flag to fix. */
const FLAG_OF: Record<string, string> = {
  port: '--port',
  host: '--host',
  seed: '--seed',
  apiKeys: '--api-key',
  workers: '--workers',
  latencyMs: '--latency-ms',
  'webhooks.disableAfterFailures': '--webhook-disable-after',
  jwtTtlSeconds: '--jwt-ttl-seconds',
  stateDurationMs: '--state-duration-ms',
  'webhooks.urls': '--webhook-url',
  'webhooks.secret': '--webhook-secret',
  'webhooks.headers': '--webhook-header',
  'webhooks.retryBackoffMs': '--webhook-retry-backoff-ms',
  'faults.deliveryCopies': '--delivery-copies',
  'faults.shuffleDeliveries': '--shuffle-deliveries',
  'faults.dropRate': '--drop-rate',
  'faults.http500Rate': '--fault-500-rate',
  'faults.http429Rate': '--fault-429-rate',
  'faults.retryAfterSeconds': '--retry-after-seconds',
  'faults.randomSeed': '--fault-seed',
  faults: '--fault-500-rate/--fault-429-rate',
};

const number = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`"${value}" is not a number.`);
  return n;
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The commander program; `parse` it, then hand its options to {@link cliConfig}. */
export function cliProgram(): Command {
  return new Command('spacelift-simulator')
    .description('A local Spacelift: GraphQL API, run lifecycle and signed webhooks.')
    .option('--port <n>', 'port to listen on (0 picks a free one)', number, 4000)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <file>', 'JSON seed file: spaces, stacks, contexts, blueprints (see README)')
    .option(
      '--api-key <id:secret[:name]>',
      'an API key apiKeyUser accepts (repeatable); default SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET',
      collect,
      [],
    )
    .option('--jwt-ttl-seconds <n>', 'lifetime of issued JWTs', number, 3600)
    .option('--state-duration-ms <n>', 'time a run spends in each state (0 allowed)', number, 1000)
    .option('--workers <n>', 'runs on workers at once; others wait in READY (0: no limit)', number, 0)
    .option('--latency-ms <n>', 'added to every GraphQL API answer', number, 0)
    .option('--webhook-url <url>', 'POST run state changes here (repeatable)', collect, [])
    .option('--webhook-secret <secret>', 'sign deliveries with this secret; default SPACELIFT_WEBHOOK_SECRET')
    .option('--webhook-header <"Name: value">', 'extra header on every delivery (repeatable)', collect, [])
    .option(
      '--webhook-retry-backoff-ms <n>',
      'wait before retry n of a 5xx delivery is n times this',
      number,
      200,
    )
    .option(
      '--webhook-disable-after <n>',
      'disable a webhook after n failed deliveries in a row, as Spacelift does (0: never)',
      number,
      10,
    )
    .option('--delivery-copies <n>', 'send every delivery this many times', number, 1)
    .option('--shuffle-deliveries', "send a run's deliveries in random order once it ends", false)
    .option('--drop-rate <fraction>', 'fraction of deliveries never sent', number, 0)
    .option('--fault-500-rate <fraction>', 'fraction of API requests answered with HTTP 500', number, 0)
    .option('--fault-429-rate <fraction>', 'fraction of API requests answered with HTTP 429', number, 0)
    .option('--retry-after-seconds <n>', 'Retry-After of injected 429 answers', number, 1)
    .option('--fault-seed <n>', 'seed of the random source behind every fault knob', number, 1)
    .showHelpAfterError('(run spacelift-simulator --help for usage)');
}

/** The options commander yields for {@link cliProgram}. */
export interface CliFlags {
  port: number;
  host: string;
  seed?: string;
  apiKey: string[];
  jwtTtlSeconds: number;
  stateDurationMs: number;
  workers: number;
  latencyMs: number;
  webhookDisableAfter: number;
  webhookUrl: string[];
  webhookSecret?: string;
  webhookHeader: string[];
  webhookRetryBackoffMs: number;
  deliveryCopies: number;
  shuffleDeliveries: boolean;
  dropRate: number;
  fault500Rate: number;
  fault429Rate: number;
  retryAfterSeconds: number;
  faultSeed: number;
}

function readSeed(file: string): unknown {
  try {
    return readSeedFile(file);
  } catch (error) {
    if (error instanceof SeedFileError) throw new CliUsageError(`--seed: ${error.message}`);
    throw error;
  }
}

/**
 * `ID:SECRET[:NAME]`: the id ends at the first colon; with another colon, the name starts
 * after the last one (so a secret holding a colon needs a name after it).
 */
function parseApiKeyFlag(flag: string): { id: string; secret: string; name?: string } {
  const first = flag.indexOf(':');
  const last = flag.lastIndexOf(':');
  const id = flag.slice(0, first);
  const secret = last > first ? flag.slice(first + 1, last) : flag.slice(first + 1);
  const name = last > first ? flag.slice(last + 1) : undefined;
  if (first <= 0 || secret === '' || name === '') {
    throw new CliUsageError('--api-key must look like ID:SECRET or ID:SECRET:NAME (each part non-empty).');
  }
  return name === undefined ? { id, secret } : { id, secret, name };
}

function apiKeys(
  flags: string[],
  env: NodeJS.ProcessEnv,
): Array<{ id: string; secret: string; name?: string }> {
  if (flags.length > 0) return flags.map(parseApiKeyFlag);
  if (env.SPACELIFT_KEY_ID && env.SPACELIFT_KEY_SECRET) {
    return [{ id: env.SPACELIFT_KEY_ID, secret: env.SPACELIFT_KEY_SECRET }];
  }
  throw new CliUsageError(
    'no API key: pass --api-key ID:SECRET[:NAME] or set SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET (clients log in with it).',
  );
}

function headers(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(value);
    if (!match) throw new CliUsageError(`--webhook-header "${value}" must look like "Name: value".`);
    out[match[1]!] = match[2]!;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  for (let n = path.length; n > 0; n--) {
    const flag = FLAG_OF[path.slice(0, n).join('.')];
    if (flag) {
      const rest = path.slice(n).join('.');
      return `${flag}${rest ? ` (${rest})` : ''}: ${issue.message}`;
    }
  }
  return `${path.join('.') || 'options'}: ${issue.message}`;
}

/**
 * The simulator configuration for parsed flags (and the environment for credentials),
 * validated by `SimulatorConfigSchema`. Pure apart from reading the seed file.
 *
 * @throws {CliUsageError} naming the flag at fault.
 */
export function cliConfig(flags: CliFlags, env: NodeJS.ProcessEnv): SimulatorConfig {
  const parsed = SimulatorConfigSchema.safeParse({
    port: flags.port,
    host: flags.host,
    seed: flags.seed === undefined ? undefined : readSeed(flags.seed),
    apiKeys: apiKeys(flags.apiKey, env),
    jwtTtlSeconds: flags.jwtTtlSeconds,
    stateDurationMs: flags.stateDurationMs,
    workers: flags.workers,
    latencyMs: flags.latencyMs,
    webhooks: {
      urls: flags.webhookUrl,
      secret: flags.webhookSecret ?? env.SPACELIFT_WEBHOOK_SECRET ?? '',
      headers: headers(flags.webhookHeader),
      retryBackoffMs: flags.webhookRetryBackoffMs,
      disableAfterFailures: flags.webhookDisableAfter,
    },
    faults: {
      deliveryCopies: flags.deliveryCopies,
      shuffleDeliveries: flags.shuffleDeliveries,
      dropRate: flags.dropRate,
      http500Rate: flags.fault500Rate,
      http429Rate: flags.fault429Rate,
      retryAfterSeconds: flags.retryAfterSeconds,
      randomSeed: flags.faultSeed,
    },
  });
  if (!parsed.success) throw new CliUsageError(parsed.error.issues.map(describeIssue).join('\n'));
  return parsed.data;
}
