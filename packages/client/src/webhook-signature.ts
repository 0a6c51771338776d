import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Spacelift signs webhook bodies the way GitHub does:
 * `X-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` and `X-Signature: sha1=<hex>`.
 */
export const SIGNATURE_256_HEADER = 'x-signature-256';
export const SIGNATURE_SHA1_HEADER = 'x-signature';

/** The `X-Signature-256` value for a body: what Spacelift (and the simulator) send. */
export function signWebhookBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The legacy `X-Signature` (SHA-1) value; sent for compatibility, never trusted on its own. */
export function signWebhookBodySha1(secret: string, body: string | Uint8Array): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

/**
 * Checks an `X-Signature-256` header against the raw body with any of the given secrets
 * (several allow rotation). Timing-safe; never throws on malformed input.
 */
export function verifyWebhookSignature(
  secrets: readonly string[],
  body: string | Uint8Array,
  signature: string | undefined,
): boolean {
  if (!signature || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
  const given = Buffer.from(signature.slice('sha256='.length).toLowerCase(), 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signWebhookBody(secret, body).slice('sha256='.length), 'hex');
    // Check every secret so the time taken does not reveal which one matched.
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}
