import type { PayloadIssue } from './run-event.js';

/** The `X-Signature-256` header was missing, sent more than once, or matched none of the secrets (401). */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
  readonly statusCode = 401;
  constructor(
    readonly reason: 'missing' | 'repeated' | 'mismatch',
    copies = 1,
  ) {
    super(
      reason === 'missing'
        ? 'The X-Signature-256 header is missing: configure the webhook secret in Spacelift'
        : reason === 'repeated'
          ? `The X-Signature-256 header was sent ${copies} times: send exactly one signature`
          : 'The X-Signature-256 header does not match the body: check that the webhook secret in Spacelift matches SPACELIFT_WEBHOOK_SECRET',
    );
  }
}

/** The body is not valid JSON (400). */
export class MalformedJsonError extends Error {
  override readonly name = 'MalformedJsonError';
  readonly statusCode = 400;
  constructor(detail: string) {
    super(`The body is not valid JSON: ${detail}`);
  }
}

/** The JSON does not match any accepted webhook payload (400); `issues` lists the failing fields. */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
  readonly statusCode = 400;
  constructor(readonly issues: PayloadIssue[]) {
    super(
      `The body is not a Spacelift run webhook payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
}

/** The body came compressed or otherwise encoded (415): the signature covers the plain JSON bytes. */
export class UnsupportedContentEncodingError extends Error {
  override readonly name = 'UnsupportedContentEncodingError';
  readonly statusCode = 415;
  constructor(readonly encoding: string) {
    super(`Content-Encoding ${encoding} is not supported: send the webhook body uncompressed`);
  }
}
