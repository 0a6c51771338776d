/**
 * How Spacelift names the API key that triggered a run, in both forms it has used:
 * `api::<key id>` (deliveries, user-provided metadata docs) and `api::<short id>::<key name>`
 * (run details since the 2025-09-16 changelog).
 */

import { apiKeyIdentity } from 'spacelift-client';

export { apiKeyIdentity };

/**
 * Whether `triggeredBy` names the API key `keyId`, in either form. The short form carries a
 * prefix of the key id (and the key's name, which we do not know), so a prefix match is the
 * best evidence it offers; run ids stay the first test of "ours".
 */
function isApiKeyIdentity(triggeredBy: string | null, keyId: string): boolean {
  if (triggeredBy === null) return false;
  if (triggeredBy === apiKeyIdentity(keyId)) return true;
  const short = /^api::([^:]+)::.+$/.exec(triggeredBy)?.[1];
  return short !== undefined && short.length >= 4 && keyId.startsWith(short);
}

/** The key id of an `api::<key id>` identity, or null for any other form. */
const keyIdOf = (identity: string): string | null => /^api::([^:]+)$/.exec(identity)?.[1] ?? null;

/** Whether `triggeredBy` is `identity` (as configured), or the other form of the same API key. */
export function isOwnIdentity(triggeredBy: string | null, identity: string): boolean {
  if (triggeredBy === identity) return true;
  const keyId = keyIdOf(identity);
  return keyId !== null && isApiKeyIdentity(triggeredBy, keyId);
}
