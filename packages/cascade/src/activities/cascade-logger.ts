/** The part of a pino logger the activities use; pass a pino instance or leave it out. */
export interface CascadeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: CascadeLogger = { info: () => undefined, warn: () => undefined };
