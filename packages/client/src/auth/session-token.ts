/** A JWT and its expiry (unix seconds), as `apiKeyUser` returns them. */
export interface Session {
  jwt: string;
  validUntil: number;
}

/**
 * Caches the JWT and renews it `refreshMarginSeconds` before it expires. Concurrent callers
 * that find no usable token share one login (single-flight) instead of each logging in.
 */
export class SessionToken {
  private session: Session | null = null;
  private pending: Promise<Session> | null = null;

  constructor(
    private readonly login: () => Promise<Session>,
    private readonly refreshMarginSeconds: number,
    private readonly nowMs: () => number,
  ) {}

  /** A JWT valid for at least the refresh margin, logging in when needed. */
  async get(): Promise<string> {
    if (this.session && this.nowMs() / 1000 < this.session.validUntil - this.refreshMarginSeconds) {
      return this.session.jwt;
    }
    this.pending ??= this.login().then(
      (session) => {
        this.session = session;
        this.pending = null;
        return session;
      },
      (error: unknown) => {
        this.pending = null;
        throw error;
      },
    );
    return (await this.pending).jwt;
  }

  /** Forgets `jwt` after the server refused it, unless a newer one has replaced it already. */
  invalidate(jwt: string): void {
    if (this.session?.jwt === jwt) this.session = null;
  }
}
