import { describe, expect, it } from 'vitest';
import type { CascadePort, SignalWithStartRequest } from '../../src/webhook/cascade-port.js';
import { TemporalUnavailableError } from '../../src/webhook/cascade-port.js';
import { SignalBatcher } from '../../src/webhook/signal-batcher.js';

/** A port whose calls stay in flight until the test releases them. */
class GatedPort implements CascadePort {
  readonly calls: SignalWithStartRequest[] = [];
  private readonly gates: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  signalWithStart(request: SignalWithStartRequest): Promise<'delivered'> {
    this.calls.push(request);
    return new Promise((resolve, reject) => {
      this.gates.push({ resolve: () => resolve('delivered'), reject });
    });
  }

  checkReady(): Promise<void> {
    return Promise.resolve();
  }

  /** Completes the oldest call in flight, then lets the batcher send what waits. */
  async release(err?: unknown): Promise<void> {
    const gate = this.gates.shift()!;
    if (err === undefined) gate.resolve();
    else gate.reject(err);
    await new Promise((r) => setImmediate(r));
  }
}

const request = (arg: string, over: Partial<SignalWithStartRequest> = {}): SignalWithStartRequest => ({
  workflowType: 'wf',
  workflowId: 'estate',
  taskQueue: 'q',
  args: [{}],
  signalName: 'runStateChanged',
  signalArgs: [arg],
  ...over,
});

describe('SignalBatcher', () => {
  it('sends an idle request at once, alone', async () => {
    const port = new GatedPort();
    const batcher = new SignalBatcher(port, new Set(['runStateChanged']));
    const done = batcher.signalWithStart(request('a'));
    expect(port.calls.map((c) => c.signalArgs)).toEqual([['a']]);
    await port.release();
    await expect(done).resolves.toBe('delivered');
  });

  it('merges what came during a call into one call, in arrival order', async () => {
    const port = new GatedPort();
    const batcher = new SignalBatcher(port, new Set(['runStateChanged']));
    const first = batcher.signalWithStart(request('a'));
    const rest = ['b', 'c', 'd'].map((arg) => batcher.signalWithStart(request(arg)));
    expect(port.calls).toHaveLength(1);
    await port.release();
    expect(port.calls.map((c) => c.signalArgs)).toEqual([['a'], ['b', 'c', 'd']]);
    await port.release();
    await expect(Promise.all([first, ...rest])).resolves.toEqual(Array(4).fill('delivered'));
  });

  it('keeps other signals and other workflows apart, and the order across them', async () => {
    const port = new GatedPort();
    const batcher = new SignalBatcher(port, new Set(['runStateChanged']));
    void batcher.signalWithStart(request('a'));
    void batcher.signalWithStart(request('b'));
    void batcher.signalWithStart(request('x', { signalName: 'cancelCascade' }));
    void batcher.signalWithStart(request('y', { signalName: 'cancelCascade' }));
    void batcher.signalWithStart(request('c', { workflowId: 'other' }));
    void batcher.signalWithStart(request('d'));
    for (let i = 0; i < 5; i++) await port.release();
    expect(port.calls.map((c) => [c.workflowId, c.signalName, c.signalArgs])).toEqual([
      ['estate', 'runStateChanged', ['a']],
      ['estate', 'runStateChanged', ['b']],
      ['estate', 'cancelCascade', ['x']],
      ['estate', 'cancelCascade', ['y']],
      ['other', 'runStateChanged', ['c']],
      ['estate', 'runStateChanged', ['d']],
    ]);
  });

  it('gives every caller of a failed call its error, and goes on with the next', async () => {
    const port = new GatedPort();
    const batcher = new SignalBatcher(port, new Set(['runStateChanged']));
    const first = batcher.signalWithStart(request('a'));
    const merged = [batcher.signalWithStart(request('b')), batcher.signalWithStart(request('c'))];
    const refused = merged.map((p) => expect(p).rejects.toBeInstanceOf(TemporalUnavailableError));
    await port.release();
    await port.release(new TemporalUnavailableError('signal estate'));
    await Promise.all(refused);
    await expect(first).resolves.toBe('delivered');
    const later = batcher.signalWithStart(request('d'));
    expect(port.calls.at(-1)?.signalArgs).toEqual(['d']);
    await port.release();
    await expect(later).resolves.toBe('delivered');
  });

  it('caps the arguments one call carries', async () => {
    const port = new GatedPort();
    const batcher = new SignalBatcher(port, new Set(['runStateChanged']));
    void batcher.signalWithStart(request('first'));
    for (let i = 0; i < 700; i++) void batcher.signalWithStart(request(`r${i}`));
    await port.release();
    await port.release();
    expect(port.calls.map((c) => c.signalArgs.length)).toEqual([1, 500, 200]);
  });
});
