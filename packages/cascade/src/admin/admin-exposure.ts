import { BlockList, isIP } from 'node:net';

/** Addresses only this machine reaches: 127.0.0.0/8 and ::1 (also IPv4-mapped). */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether a listener bound to `host` is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && loopback.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Why the admin listener must not start on `host` with this token, or null when it may: the
 * admin side (every stack, label and run of the estate, the metrics) leaves this machine only
 * behind a token. The service exits 2 with this message.
 */
export function adminExposureProblem(host: string, token: string | null | undefined): string | null {
  if (isLoopbackHost(host) || (token ?? '').length > 0) return null;
  return (
    `CASCADE_ADMIN_HOST=${host} would expose the dashboard, /api, /docs and /metrics beyond this ` +
    'machine without a token: set CASCADE_ADMIN_TOKEN (a random value of at least 16 characters) ' +
    'to require it, or keep CASCADE_ADMIN_HOST=127.0.0.1'
  );
}

/** The admin listener was asked to listen beyond this machine without a token. */
export class AdminExposureError extends Error {
  override readonly name = 'AdminExposureError';
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}
