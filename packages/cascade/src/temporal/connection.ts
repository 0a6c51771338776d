import { readFile } from 'node:fs/promises';
// Types only: the SDK is loaded when a connection is made, so reading the settings (every CLI
// command does) costs no Temporal SDK (about 0.25 s of module loading).
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../config/config-error.js';
import { DEFAULT_NAMESPACE } from '../constants.js';

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/**
 * Environment variables of a Temporal connection: the single source of truth for their names
 * and rules. mTLS uses a client certificate and key (self-hosted, Temporal Cloud); Temporal
 * Cloud API keys need TLS, which they switch on.
 */
export const temporalConnectionEnvSchema = z
  .object({
    TEMPORAL_ADDRESS: optionalText.pipe(
      z
        .string()
        .regex(/^[^\s:/]+:\d{1,5}$/, 'TEMPORAL_ADDRESS must be host:port, e.g. my-ns.a1b2c.tmprl.cloud:7233')
        .optional(),
    ),
    TEMPORAL_NAMESPACE: optionalText,
    TEMPORAL_TLS: optionalText.pipe(
      z.enum(['true', 'false'], { error: 'TEMPORAL_TLS must be true or false' }).optional(),
    ),
    TEMPORAL_TLS_CERT_PATH: optionalText,
    TEMPORAL_TLS_KEY_PATH: optionalText,
    TEMPORAL_TLS_CA_PATH: optionalText,
    TEMPORAL_TLS_SERVER_NAME: optionalText,
    TEMPORAL_API_KEY: optionalText,
  })
  .superRefine(
    (env, ctx) => {
      const problem = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message });
      if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
        problem(
          env.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH',
          'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both for mTLS, or neither',
        );
      }
      const tlsDetails =
        env.TEMPORAL_TLS_CERT_PATH ?? env.TEMPORAL_TLS_CA_PATH ?? env.TEMPORAL_TLS_SERVER_NAME;
      if (env.TEMPORAL_TLS === 'false' && (tlsDetails !== undefined || env.TEMPORAL_API_KEY !== undefined)) {
        problem(
          'TEMPORAL_TLS',
          'TEMPORAL_TLS=false contradicts the TLS settings or API key given; remove one',
        );
      }
      const anything = Object.entries(env).some(([k, v]) => k !== 'TEMPORAL_NAMESPACE' && v !== undefined);
      if (anything && env.TEMPORAL_ADDRESS === undefined) {
        problem('TEMPORAL_ADDRESS', 'TEMPORAL_ADDRESS is needed when TLS or an API key is configured');
      }
      // Run even when a field failed, so one run of the service reports every problem.
    },
    { when: () => true },
  );

export interface TemporalTlsSettings {
  certPath: string | null;
  keyPath: string | null;
  caPath: string | null;
  serverName: string | null;
}

export interface TemporalConnectionConfig {
  /** null: none configured; the caller starts the embedded dev server. */
  address: string | null;
  namespace: string;
  /** null: plaintext (local servers). */
  tls: TemporalTlsSettings | null;
  apiKey: string | null;
}

/** Reads the connection settings from the environment; throws {@link ConfigError} listing every problem. */
export function parseTemporalConnectionConfig(
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionConfig {
  return toTemporalConnectionConfig(parseEnv(temporalConnectionEnvSchema, env));
}

/** The connection settings of validated variables. */
export function toTemporalConnectionConfig(
  e: z.output<typeof temporalConnectionEnvSchema>,
): TemporalConnectionConfig {
  const wantsTls =
    e.TEMPORAL_TLS === 'true' ||
    [e.TEMPORAL_TLS_CERT_PATH, e.TEMPORAL_TLS_CA_PATH, e.TEMPORAL_TLS_SERVER_NAME, e.TEMPORAL_API_KEY].some(
      (v) => v !== undefined,
    );
  return {
    address: e.TEMPORAL_ADDRESS ?? null,
    namespace: e.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE,
    tls: wantsTls
      ? {
          certPath: e.TEMPORAL_TLS_CERT_PATH ?? null,
          keyPath: e.TEMPORAL_TLS_KEY_PATH ?? null,
          caPath: e.TEMPORAL_TLS_CA_PATH ?? null,
          serverName: e.TEMPORAL_TLS_SERVER_NAME ?? null,
        }
      : null,
    apiKey: e.TEMPORAL_API_KEY ?? null,
  };
}

/** What both `Connection.connect` (client) and `NativeConnection.connect` (worker) accept. */
export interface TemporalConnectOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

async function readPem(path: string, variable: string, problems: string[]): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    problems.push(`${variable}=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** Reads the certificate files and builds connect options; a missing address or unreadable file is a {@link ConfigError}. */
export async function temporalConnectOptions(
  config: TemporalConnectionConfig,
): Promise<TemporalConnectOptions> {
  if (config.address === null) {
    throw new ConfigError(['TEMPORAL_ADDRESS is not set (without it, start the embedded dev server)']);
  }
  const options: TemporalConnectOptions = { address: config.address };
  if (config.apiKey !== null) options.apiKey = config.apiKey;
  if (config.tls === null) return options;
  const problems: string[] = [];
  const { certPath, keyPath, caPath, serverName } = config.tls;
  const crt = certPath ? await readPem(certPath, 'TEMPORAL_TLS_CERT_PATH', problems) : undefined;
  const key = keyPath ? await readPem(keyPath, 'TEMPORAL_TLS_KEY_PATH', problems) : undefined;
  const ca = caPath ? await readPem(caPath, 'TEMPORAL_TLS_CA_PATH', problems) : undefined;
  if (problems.length > 0) throw new ConfigError(problems);
  options.tls = {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  };
  return options;
}

/**
 * A client connection (starting workflows, queries, signals); fails when the server has not
 * answered within `connectTimeoutMs`.
 */
export async function connectTemporalClient(
  config: TemporalConnectionConfig,
  connectTimeoutMs = 10_000,
): Promise<Connection> {
  const options = await temporalConnectOptions(config);
  const { Connection } = await import('@temporalio/client');
  return Connection.connect({ ...options, connectTimeout: connectTimeoutMs });
}

/** A worker connection. */
export async function connectTemporalWorker(config: TemporalConnectionConfig): Promise<NativeConnection> {
  const options = await temporalConnectOptions(config);
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect(options);
}
