import type { Logger } from 'pino';

/** Stops what was started, in reverse order; each step runs even if an earlier one failed. */
export class ShutdownStack {
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];

  push(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  async run(log: Logger): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        log.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    this.steps.length = 0;
  }
}
