import { describe, expect, it } from 'vitest';
import { readSignedBody } from '../../src/webhook/signed-body.js';
import { MalformedJsonError, WebhookSignatureError } from '../../src/webhook/webhook-errors.js';
import { TEST_SECRET, exampleBody } from './webhook-examples.js';

// The provenance file's vector: these exact bytes with `cascade-test-secret`.
const BODY = Buffer.from(exampleBody('run-finished-tracked.json'));
const SIGNATURE = 'sha256=d8962175f8679b101c2485f30ca3962240f6bcae908ac984134f3e3ee0f65b41';

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof WebhookSignatureError ? err.reason : err;
  }
  return 'no error';
};

describe('readSignedBody', () => {
  it('parses the body once its signature matches one of the secrets', () => {
    const value = readSignedBody(BODY, [SIGNATURE], ['an-old-secret', TEST_SECRET]);
    expect(value).toMatchObject({ state: 'FINISHED', run: { id: '01EF9PFPNFFM2MQXTJKHK1B869' } });
  });

  it('refuses a missing, repeated or wrong signature before reading the body', () => {
    const notJson = Buffer.from('{not json');
    expect(reason(() => readSignedBody(notJson, [], [TEST_SECRET]))).toBe('missing');
    expect(reason(() => readSignedBody(BODY, [SIGNATURE, SIGNATURE], [TEST_SECRET]))).toBe('repeated');
    expect(reason(() => readSignedBody(BODY, [SIGNATURE], ['another-secret']))).toBe('mismatch');
    expect(
      reason(() => readSignedBody(Buffer.concat([BODY, Buffer.from(' ')]), [SIGNATURE], [TEST_SECRET])),
    ).toBe('mismatch');
  });

  it('checks nothing without secrets, and says why a body is not JSON', () => {
    expect(readSignedBody('{"a":1}', [], [])).toEqual({ a: 1 });
    expect(() => readSignedBody('{not json', [], [])).toThrow(MalformedJsonError);
    expect(() => readSignedBody('{not json', [], [])).toThrow(/not valid JSON/);
  });
});
