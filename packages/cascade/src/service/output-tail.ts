/**
 * The last lines a child process wrote, bounded in lines and in characters per line, so a part
 * that writes for days (or one endless line) costs a few kilobytes, and its last words can be
 * shown when it dies.
 */
export class OutputTail {
  private readonly complete: string[] = [];
  /** The line being written (no newline yet). */
  private partial = '';

  constructor(
    private readonly maxLines = 20,
    private readonly maxLineChars = 500,
  ) {}

  /** Adds a chunk of output as it comes (lines may span chunks). */
  push(chunk: string): void {
    const pieces = (this.partial + chunk).split(/\r?\n/);
    this.partial = this.bound(pieces.pop() ?? '');
    for (const line of pieces) {
      if (line.trim() === '') continue;
      this.complete.push(this.bound(line));
      if (this.complete.length > this.maxLines) this.complete.shift();
    }
  }

  /** The last lines, oldest first, the unfinished one included. */
  lines(): string[] {
    const all = this.partial.trim() === '' ? [...this.complete] : [...this.complete, this.partial];
    return all.slice(-this.maxLines);
  }

  /** A long line keeps its end: a Go error's cause is written last. */
  private bound(line: string): string {
    return line.length > this.maxLineChars ? `…${line.slice(-(this.maxLineChars - 1))}` : line;
  }
}
