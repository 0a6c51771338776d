import type { z } from 'zod';

/**
 * The configuration is invalid: `problems` lists every problem found, each naming its variable
 * and how to fix it, never a value (values may be secrets). The one error of every config loader.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** One line per issue, starting with the variable it is about. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const variable = issue.path.map(String).join('.');
    // Our own messages start with a variable's name; zod's built-in ones do not.
    return /^[A-Z][A-Z0-9_]+\b/.test(issue.message) || variable === ''
      ? issue.message
      : `${variable}: ${issue.message}`;
  });
}

/** `VAR=` in an env file means "not set". */
export function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** The one loader: parses `env` with `schema`, or throws a {@link ConfigError} listing every problem. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = schema.safeParse(withoutEmpty(env));
  if (!result.success) throw new ConfigError([...new Set(describeIssues(result.error.issues))]);
  return result.data;
}
