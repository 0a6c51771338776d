import { readFileSync } from 'node:fs';
import { signWebhookBody } from 'spacelift-client';
import type { CascadeOptions } from '../../src/cascade-contract.js';
import { testOptions } from '../workflows/test-options.js';

const EXAMPLES = new URL('../../../../spacelift-api/webhooks/', import.meta.url);

/** The exact bytes of an example body from the shared API reference. */
export const exampleBody = (name: string): string => readFileSync(new URL(name, EXAMPLES), 'utf8');

/** Each line of the lifecycle example: one tracked run's deliveries in order. */
export const lifecycleLines = (): string[] =>
  exampleBody('run-lifecycle-tracked.jsonl')
    .split('\n')
    .filter((line) => line.trim() !== '');

export const TEST_SECRET = 'cascade-test-secret';

/** Options the receiver hands the coordinator when a delivery starts it. */
export const cascadeOptions: CascadeOptions = testOptions({
  maxParallel: 4,
  runUrlBase: 'https://spacelift-io.app.spacelift.io',
});

/** The estate coordinator's workflow id the receiver tests use. */
export const TEST_ESTATE_ID = 'test-estate';

/** Headers Spacelift sends for a body signed with `secret`. */
export const signedHeaders = (body: string, secret = TEST_SECRET): Record<string, string> => ({
  'content-type': 'application/json',
  'x-signature-256': signWebhookBody(secret, body),
});
