import type { PayloadIssue } from './run-event.js';
import type { WebhookOutcome } from './webhook-metrics.js';

/**
 * A request the receiver refuses, carrying its answer: the HTTP status, the error code of the
 * body (also the metrics outcome) and, for a payload, the failing fields.
 */
export abstract class WebhookRequestError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: WebhookOutcome;
  readonly details?: PayloadIssue[];
}

/** The `X-Signature-256` header was missing, sent more than once, or matched none of the secrets (401). */
export class WebhookSignatureError extends WebhookRequestError {
  override readonly name = 'WebhookSignatureError';
  readonly statusCode = 401;
  readonly code = 'invalid_signature';
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
export class MalformedJsonError extends WebhookRequestError {
  override readonly name = 'MalformedJsonError';
  readonly statusCode = 400;
  readonly code = 'malformed_json';
  constructor(detail: string) {
    super(`The body is not valid JSON: ${detail}`);
  }
}

/** The JSON does not match any accepted webhook payload (400); `issues` lists the failing fields. */
export class WebhookPayloadError extends WebhookRequestError {
  override readonly name = 'WebhookPayloadError';
  readonly statusCode = 400;
  readonly code = 'invalid_payload';
  constructor(override readonly details: PayloadIssue[]) {
    super(
      `The body is not a Spacelift run webhook payload: ${details.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
}

/** The body came compressed or otherwise encoded (415): the signature covers the plain JSON bytes. */
export class UnsupportedContentEncodingError extends WebhookRequestError {
  override readonly name = 'UnsupportedContentEncodingError';
  readonly statusCode = 415;
  readonly code = 'unsupported_media_type';
  constructor(readonly encoding: string) {
    super(`Content-Encoding ${encoding} is not supported: send the webhook body uncompressed`);
  }
}

/**
 * The coordinator this delivery would go to serves another Spacelift account (409): a misrouted
 * webhook is a configuration error, so Spacelift must not retry it and nothing is signalled.
 */
export class AccountMismatchError extends WebhookRequestError {
  override readonly name = 'AccountMismatchError';
  readonly statusCode = 409;
  readonly code = 'account_mismatch';
}
