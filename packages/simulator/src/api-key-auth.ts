import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { signJwt, verifyJwt } from './jwt.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The simulator's one API key: `apiKeyUser` trades it for a short-lived HS256 JWT, which
 * every other request must carry as `Authorization: Bearer <jwt>`. The signing key is
 * random per simulator, so tokens of an earlier run are refused.
 */
export class ApiKeyAuth {
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly apiKey: { id: string; secret: string },
    private readonly ttlSeconds: number,
    private readonly nowSeconds: () => number,
  ) {}

  /** A JWT for the right key id and secret; `null` otherwise (compared in constant time). */
  login(id: string, secret: string): { id: string; jwt: string; validUntil: number } | null {
    const idOk = timingSafeEqual(digest(id), digest(this.apiKey.id));
    const secretOk = timingSafeEqual(digest(secret), digest(this.apiKey.secret));
    if (!idOk || !secretOk) return null;
    const iat = this.nowSeconds();
    const validUntil = iat + this.ttlSeconds;
    return { id, jwt: signJwt(this.signingKey, { sub: id, iat, exp: validUntil }), validUntil };
  }

  /** The caller's identity (`api::<key id>`, as Spacelift shows API-key callers) or `null`. */
  identify(authorization: string | null): string | null {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return null;
    const claims = verifyJwt(this.signingKey, match[1]!, this.nowSeconds());
    return claims ? `api::${claims.sub}` : null;
  }
}
