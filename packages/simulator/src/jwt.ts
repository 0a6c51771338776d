import { createHmac, timingSafeEqual } from 'node:crypto';

/** The claims the simulator puts in the JWTs it issues. */
export interface JwtClaims {
  /** The API key id. */
  sub: string;
  /** Unix seconds. */
  iat: number;
  /** Unix seconds. */
  exp: number;
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = encode({ alg: 'HS256', typ: 'JWT' });

const signature = (key: Uint8Array, signingInput: string): Buffer =>
  createHmac('sha256', key).update(signingInput).digest();

/** Signs an HS256 JWT. */
export function signJwt(key: Uint8Array, claims: JwtClaims): string {
  const signingInput = `${HEADER}.${encode(claims)}`;
  return `${signingInput}.${signature(key, signingInput).toString('base64url')}`;
}

/**
 * The claims of a JWT this key signed and that has not expired at `nowSeconds`; `null`
 * otherwise (malformed, forged, other algorithm or expired). Never throws.
 */
export function verifyJwt(key: Uint8Array, token: string, nowSeconds: number): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) return null;
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = signature(key, `${parts[0]}.${parts[1]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: Partial<JwtClaims>;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<JwtClaims>;
  } catch {
    return null;
  }
  if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number')
    return null;
  return claims.exp > nowSeconds ? (claims as JwtClaims) : null;
}
