/**
 * The subset of a pino logger the client uses (`pino()` or a child fits as is). The client
 * logs operation names, attempts, statuses and timings; never variables, secrets or the JWT.
 */
export interface SpaceliftLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLogger: SpaceliftLogger = { debug: () => {}, warn: () => {} };
