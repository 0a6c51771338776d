import { apiKeyIdentity } from 'spacelift-client';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { signJwt, verifyJwt } from './jwt.js';
import type { LoginResult } from './spacelift/spacelift-schema.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** An API key the simulator accepts; `name` is what Spacelift shows next to it. */
export interface SimulatorApiKey {
  id: string;
  secret: string;
  name: string;
}

export { apiKeyIdentity };

/**
 * The simulator's API keys: `apiKeyUser` trades one for a short-lived HS256 JWT, which every
 * other request must carry as `Authorization: Bearer <jwt>`. The signing key is random per
 * simulator, so tokens of an earlier run are refused.
 */
export class ApiKeyAuth {
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly keys: readonly SimulatorApiKey[],
    private readonly ttlSeconds: number,
    private readonly nowSeconds: () => number,
  ) {}

  /** A JWT for a known key id with its secret (compared in constant time). */
  login(id: string, secret: string): LoginResult {
    const key = this.keys.find((k) => timingSafeEqual(digest(id), digest(k.id)));
    if (!key) return { kind: 'unknown-key' };
    if (!timingSafeEqual(digest(secret), digest(key.secret))) return { kind: 'wrong-secret' };
    const iat = this.nowSeconds();
    const validUntil = iat + this.ttlSeconds;
    return {
      kind: 'ok',
      user: { id, jwt: signJwt(this.signingKey, { sub: id, iat, exp: validUntil }), validUntil },
    };
  }

  /** The caller's identity (`api::<key id>`) or `null` without a valid, unexpired JWT. */
  identify(authorization: string | null): string | null {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return null;
    const claims = verifyJwt(this.signingKey, match[1]!, this.nowSeconds());
    return claims ? apiKeyIdentity(claims.sub) : null;
  }
}
