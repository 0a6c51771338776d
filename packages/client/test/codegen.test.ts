import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generate, type CodegenConfig } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('generated GraphQL types', () => {
  it('are up to date with schema.graphql and src/operations (run `npm run codegen -w spacelift-client`)', async () => {
    const config = parseYaml(
      await readFile(new URL('../codegen.yml', import.meta.url), 'utf8'),
    ) as CodegenConfig;
    const outputs = await generate({ ...config, cwd: packageDir }, false);
    expect(outputs).toHaveLength(1);
    const [output] = outputs;
    const committed = await readFile(
      new URL('../src/generated/graphql.generated.ts', import.meta.url),
      'utf8',
    );
    expect(output!.filename).toMatch(/src\/generated\/graphql\.generated\.ts$/);
    expect(output!.content === committed, 'src/generated/graphql.generated.ts is stale').toBe(true);
  });
});
