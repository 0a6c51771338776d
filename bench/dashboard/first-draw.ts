import type { Page } from 'playwright-core';

/** Waits until the dashboard page has drawn the estate's graph once (it records the time). */
export async function waitForFirstDraw(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    () =>
      (window as unknown as { __dashboard?: { timings: { firstDrawMs?: number } } }).__dashboard?.timings
        .firstDrawMs !== undefined,
    undefined,
    { timeout: timeoutMs },
  );
}
