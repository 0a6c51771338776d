import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookSignature } from '../src/webhook-signature.js';

const SHARED = new URL('../../../spacelift-api/webhooks/', import.meta.url);

describe('webhook signatures', () => {
  it("matches GitHub's published test vector", () => {
    expect(signWebhookBody("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('matches the vector for the exact bytes of run-finished-tracked.json', () => {
    const body = readFileSync(new URL('run-finished-tracked.json', SHARED));
    expect(signWebhookBody('cascade-test-secret', body)).toBe(
      'sha256=d8962175f8679b101c2485f30ca3962240f6bcae908ac984134f3e3ee0f65b41',
    );
  });

  it('verifies with any of several secrets (rotation) and rejects the rest', () => {
    const sig = signWebhookBody('new', 'body');
    expect(verifyWebhookSignature(['old', 'new'], 'body', sig)).toBe(true);
    expect(verifyWebhookSignature(['old'], 'body', sig)).toBe(false);
    expect(verifyWebhookSignature(['new'], 'other body', sig)).toBe(false);
    expect(verifyWebhookSignature(['new'], 'body', sig.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
  });

  it.each([undefined, '', 'sha256=', 'sha1=abc', 'sha256=zz', `sha256=${'a'.repeat(63)}`])(
    'rejects malformed header %j without throwing',
    (header) => {
      expect(verifyWebhookSignature(['s'], 'body', header)).toBe(false);
    },
  );
});
