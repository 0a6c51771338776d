import { createServer } from 'node:net';
import { findPortHolder, type PortHolder, type ProcOptions } from './linux-processes.js';

/**
 * Checks, before anything starts, that the ports a service will listen on are free: a port that
 * is taken is an error naming it and the setting to change, never a reason to use whatever
 * answers there (a second deployment would otherwise join the first one's Temporal).
 */

/** A port the service is about to listen on, and how a user changes it. */
export interface PortClaim {
  port: number;
  /** The address it will listen on (`127.0.0.1`, `0.0.0.0`, ...): checked on that address. */
  host: string;
  /** The setting that chooses it, e.g. `TEMPORAL_PORT`. */
  setting: string;
  /** Another way out, e.g. "or set TEMPORAL_ADDRESS to use that server on purpose". */
  hint?: string;
}

/** A port the service needs cannot be used; the subclass says why, the message what to change. */
export abstract class PortClaimError extends Error {
  /** The CLI exits with this code: a configuration problem, not a crash. */
  readonly exitCode = 2;
  readonly port: number;
  readonly host: string;
  readonly setting: string;

  constructor(message: string, claim: PortClaim) {
    super(message);
    this.port = claim.port;
    this.host = claim.host;
    this.setting = claim.setting;
  }
}

/** A port the service needs is taken; the message says by whom (where it can tell) and what to change. */
export class PortTakenError extends PortClaimError {
  override readonly name = 'PortTakenError';

  constructor(
    claim: PortClaim,
    /** The process listening there, when /proc tells. */
    readonly holder: PortHolder | null,
  ) {
    super(
      `Port ${claim.port} (${claim.setting}, on ${claim.host}) is already in use${describeHolder(holder)}. ` +
        `Set ${claim.setting} to a free port${claim.hint ? `, ${claim.hint}` : ''}.`,
      claim,
    );
  }
}

/** The service may not listen on a port at all (a privileged port, an address this host lacks). */
export class PortUnusableError extends PortClaimError {
  override readonly name = 'PortUnusableError';

  constructor(
    claim: PortClaim,
    /** The system's error code, e.g. `EACCES` or `EADDRNOTAVAIL`. */
    readonly code: string,
    detail: string,
  ) {
    super(
      `Cannot listen on ${claim.host}:${claim.port} (${claim.setting}): ${detail}. Set ${claim.setting} to another port.`,
      claim,
    );
  }
}

function describeHolder(holder: PortHolder | null): string {
  if (!holder) return '';
  const by = ` by pid ${holder.pid} (${holder.command})`;
  if (!holder.cascade) return by;
  if (holder.cascade.pid === holder.pid) return `${by}, another spacelift-cascade`;
  return `${by}, started by another spacelift-cascade (pid ${holder.cascade.pid}: ${holder.cascade.command})`;
}

/**
 * Throws {@link PortTakenError} for the first claimed port another process listens on (port 0,
 * "any free port", is skipped). Each port is tried by listening on it and closing at once.
 */
export async function assertPortsFree(
  claims: readonly PortClaim[],
  options: ProcOptions = {},
): Promise<void> {
  for (const claim of claims) {
    if (claim.port === 0) continue;
    const failure = await tryListen(claim.port, claim.host);
    if (failure === null) continue;
    if (failure.code === 'EADDRINUSE')
      throw new PortTakenError(claim, await findPortHolder(claim.port, options));
    throw new PortUnusableError(claim, failure.code ?? 'unknown', failure.message);
  }
}

/** Listens on the port and closes again; the error when it could not listen, else null. */
function tryListen(port: number, host: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    // exclusive: a cluster worker would otherwise share the primary's handle and always succeed.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
