import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/http/token-bucket.js';

function fakeClock() {
  const clock = { time: 0, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.time,
    sleep: (ms: number) => {
      clock.sleeps.push(ms);
      return Promise.resolve();
    },
  };
}

describe('client-side rate limit (token bucket)', () => {
  it('lets a burst through, then spaces requests at the configured rate', async () => {
    const c = fakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 2 }, c);
    for (let i = 0; i < 5; i++) await bucket.take();
    expect(c.clock.sleeps).toEqual([100, 200, 300]);
  });

  it('refills with time, never above the burst', async () => {
    const c = fakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 2 }, c);
    await bucket.take();
    await bucket.take();
    c.clock.time = 60_000;
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(c.clock.sleeps).toEqual([100]);
  });

  it('defaults the burst to one request', async () => {
    const c = fakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 4 }, c);
    await bucket.take();
    await bucket.take();
    expect(c.clock.sleeps).toEqual([250]);
  });
});
