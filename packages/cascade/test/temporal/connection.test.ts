import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { describe, expect, inject, it } from 'vitest';
import {
  connectTemporalClient,
  connectTemporalWorker,
  parseTemporalConnectionConfig,
  temporalConnectOptions,
} from '../../src/temporal/connection.js';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseTemporalConnectionConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('parseTemporalConnectionConfig', () => {
  it('with nothing set: no address (embedded server), default namespace, plaintext', () => {
    expect(parseTemporalConnectionConfig({})).toEqual({
      address: null,
      namespace: 'default',
      tls: null,
      apiKey: null,
    });
  });

  it('Temporal Cloud with an API key: TLS on', () => {
    const config = parseTemporalConnectionConfig({
      TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_API_KEY: 'secret-key',
    });
    expect(config.tls).toEqual({ certPath: null, keyPath: null, caPath: null, serverName: null });
    expect(config.apiKey).toBe('secret-key');
  });

  it('lists every problem at once and never echoes the API key', () => {
    const problems = problemsOf({
      TEMPORAL_ADDRESS: 'http://nope',
      TEMPORAL_TLS: 'yes',
      TEMPORAL_TLS_CERT_PATH: '/c.pem',
      TEMPORAL_API_KEY: 'super-secret-value',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('TEMPORAL_ADDRESS must be host:port'),
        'TEMPORAL_TLS must be true or false',
        expect.stringContaining('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together'),
      ]),
    );
    expect(problems.join(' ')).not.toContain('super-secret-value');
  });

  it('refuses TLS settings without an address, and TEMPORAL_TLS=false with an API key', () => {
    expect(problemsOf({ TEMPORAL_API_KEY: 'k' })).toEqual([
      'TEMPORAL_ADDRESS is needed when TLS or an API key is configured',
    ]);
    expect(problemsOf({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' })).toEqual([
      expect.stringContaining('TEMPORAL_TLS=false contradicts'),
    ]);
  });
});

describe('temporalConnectOptions', () => {
  it('reads the mTLS files and passes the server name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tls-'));
    await writeFile(join(dir, 'c.pem'), 'CERT');
    await writeFile(join(dir, 'k.pem'), 'KEY');
    await writeFile(join(dir, 'ca.pem'), 'CA');
    const options = await temporalConnectOptions(
      parseTemporalConnectionConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CERT_PATH: join(dir, 'c.pem'),
        TEMPORAL_TLS_KEY_PATH: join(dir, 'k.pem'),
        TEMPORAL_TLS_CA_PATH: join(dir, 'ca.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal',
      }),
    );
    expect(options.tls?.clientCertPair?.crt.toString()).toBe('CERT');
    expect(options.tls?.clientCertPair?.key.toString()).toBe('KEY');
    expect(options.tls?.serverRootCACertificate?.toString()).toBe('CA');
    expect(options.tls?.serverNameOverride).toBe('temporal');
  });

  it('names every unreadable file', async () => {
    const err = await temporalConnectOptions(
      parseTemporalConnectionConfig({
        TEMPORAL_ADDRESS: 'h:7233',
        TEMPORAL_TLS_CERT_PATH: '/missing/c.pem',
        TEMPORAL_TLS_KEY_PATH: '/missing/k.pem',
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'TEMPORAL_TLS_CERT_PATH=/missing/c.pem cannot be read (ENOENT)',
      'TEMPORAL_TLS_KEY_PATH=/missing/k.pem cannot be read (ENOENT)',
    ]);
  });

  it('has no address to connect to without TEMPORAL_ADDRESS', async () => {
    await expect(temporalConnectOptions(parseTemporalConnectionConfig({}))).rejects.toThrow(
      /embedded dev server/,
    );
  });
});

describe('connecting', () => {
  it('connects a client and a worker connection to a plaintext server', async () => {
    const config = parseTemporalConnectionConfig({ TEMPORAL_ADDRESS: inject('temporalAddress') });
    const client = await connectTemporalClient(config);
    const info = await client.workflowService.describeNamespace({ namespace: config.namespace });
    expect(info.namespaceInfo?.name).toBe('default');
    await client.close();
    const worker = await connectTemporalWorker(config);
    await worker.close();
  });
});
