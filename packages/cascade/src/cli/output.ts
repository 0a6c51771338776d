/** Where a command writes, and how: JSON for scripts, or text (rewritten in place on a TTY). */
export interface Output {
  out: (line: string) => void;
  json: boolean;
  tty: boolean;
}

/** Prints `data` as JSON, or `text()` for a person. */
export const print = (o: Output, data: unknown, text: () => string): void =>
  o.out(o.json ? JSON.stringify(data, null, 2) : text());
