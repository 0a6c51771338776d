import { CliUsageError } from './cli-options.js';

/*
 * How the simulator's subcommands (push, ui-run, drift-run, behave) reach a running simulator:
 * its address, and one request to a simulator-only mutation (no JWT needed).
 */

/** A GraphQL request for one of the simulator-only mutations. Pure. */
export interface SimulatorRequest {
  query: string;
  variables: Record<string, unknown>;
  /** Where the answer is in `data`. */
  field: string;
}

/**
 * What a subcommand hands the CLI: `--url` (undefined when not given: see
 * {@link defaultSimulatorUrl}) and what to do at the simulator's base URL, returning what to print.
 */
export type SimulatorAction = (
  url: string | undefined,
  perform: (baseUrl: string) => Promise<string>,
) => Promise<void>;

/** The simulator's port when none is given: `SIMULATOR_PORT` (as in the cascade's demo), else 4000. */
export const DEFAULT_SIMULATOR_PORT = 4000;

/** The `--url` option every subcommand takes. */
export const URL_OPTION = [
  '--url <url>',
  `the simulator (default: http://127.0.0.1:$SIMULATOR_PORT when set, else http://127.0.0.1:${DEFAULT_SIMULATOR_PORT})`,
] as const;

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

/** Sends the request; `data[field]` of the answer, or a {@link CliUsageError} with the simulator's message. */
export async function sendSimulatorRequest(baseUrl: string, request: SimulatorRequest): Promise<unknown> {
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
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string }>;
  } | null;
  if (!body || body.errors?.length || !body.data) {
    const why = body?.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`;
    throw new CliUsageError(`the simulator refused: ${why}`);
  }
  return body.data[request.field];
}
