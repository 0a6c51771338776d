import { verifyWebhookSignature } from 'spacelift-client';
import { MalformedJsonError, WebhookSignatureError } from './webhook-errors.js';

/**
 * A delivery's body, verified and parsed, framework-free (the shape of Stripe's
 * `constructEvent`): the signature is checked over the raw bytes before anything reads them as
 * JSON. `signatures` are the copies of the `X-Signature-256` header as sent; with no secrets
 * (unsigned webhooks allowed) none is checked.
 * @throws {WebhookSignatureError} missing, repeated or matching no secret
 * @throws {MalformedJsonError} the verified bytes are not JSON
 */
export function readSignedBody(
  raw: Buffer | string,
  signatures: readonly string[],
  secrets: readonly string[],
): unknown {
  if (secrets.length > 0) {
    const given = signatures[0];
    if (!given) throw new WebhookSignatureError('missing');
    if (signatures.length > 1) throw new WebhookSignatureError('repeated', signatures.length);
    if (!verifyWebhookSignature(secrets, raw, given)) throw new WebhookSignatureError('mismatch');
  }
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    throw new MalformedJsonError((err as Error).message);
  }
}
