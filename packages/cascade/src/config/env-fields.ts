import { z } from 'zod';

/** Rules shared by every environment schema; messages name the variable, never its value. */

export const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`),
    );

export const port = (name: string) => integer(name, 0, 65535);

export const nonEmpty = (name: string) => z.string().trim().min(1, `${name} must not be empty`);

export const booleanFlag = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be true or false` }))
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `90s`, `30m`, `2h`, `500ms`; a bare number is seconds. */
export const duration = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(ms|s|m|h)?$/, `${name} must be a duration like 30m, 2h, 900s or a number of seconds`)
    .transform((text) => {
      const [, n, unit] = /^(\d+)(ms|s|m|h)?$/.exec(text)!;
      return Number(n) * DURATION_UNITS_MS[(unit ?? 's') as keyof typeof DURATION_UNITS_MS];
    });
