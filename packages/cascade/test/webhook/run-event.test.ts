import { describe, expect, it } from 'vitest';
import { parseWebhookPayload } from '../../src/webhook/run-event.js';
import { exampleBody, lifecycleLines } from './webhook-examples.js';

const parse = (text: string) => parseWebhookPayload(JSON.parse(text));

describe('parseWebhookPayload: the default run payload', () => {
  it('normalises run-finished-tracked.json into a RunEvent', () => {
    expect(parse(exampleBody('run-finished-tracked.json'))).toEqual({
      ok: true,
      value: {
        kind: 'run',
        event: {
          runId: '01EF9PFPNFFM2MQXTJKHK1B869',
          stackId: 'spacelift-demo',
          state: 'FINISHED',
          stateVersion: 4,
          runType: 'TRACKED',
          branch: 'master',
          commitSha: '0ee3a3b7266daf5a1d44a193a0f48ce995fa75eb',
          timestamp: 1596979684,
          timestampMillis: null,
          runCreatedAt: 1596979665,
          driftDetection: false,
          spaceId: null,
          stackName: 'Spacelift demo',
          stackLabels: [],
          account: 'spacelift-io',
          triggeredBy: 'marcinw@spacelift.io',
          delta: { added: 0, changed: 0, deleted: 0 },
        },
      },
    });
  });

  it('keeps the labels, state and type of the failed and proposed examples', () => {
    const failed = parse(exampleBody('run-failed-tracked.json'));
    expect(failed).toMatchObject({
      ok: true,
      value: {
        event: {
          state: 'FAILED',
          runType: 'TRACKED',
          stackLabels: ['dependsOn:network'],
          stackId: 'database',
        },
      },
    });
    const proposed = parse(exampleBody('run-finished-proposed.json'));
    expect(proposed).toMatchObject({
      ok: true,
      value: { event: { state: 'FINISHED', runType: 'PROPOSED', branch: 'feature/resize' } },
    });
  });

  it('reads every line of the lifecycle with its growing state version', () => {
    const events = lifecycleLines().map((line) => {
      const r = parse(line);
      if (!r.ok || r.value.kind !== 'run') throw new Error(`line did not parse: ${line}`);
      return [r.value.event.state, r.value.event.stateVersion];
    });
    expect(events).toEqual([
      ['QUEUED', 1],
      ['PREPARING', 2],
      ['INITIALIZING', 3],
      ['PLANNING', 4],
      ['APPLYING', 5],
      ['FINISHED', 6],
    ]);
  });

  it('accepts a payload without the optional fields', () => {
    const minimal = {
      state: 'FINISHED',
      timestamp: 1,
      run: { id: 'r1', type: 'TRACKED' },
      stack: { id: 's1' },
    };
    expect(parseWebhookPayload(minimal)).toMatchObject({
      ok: true,
      value: {
        event: {
          stateVersion: null,
          branch: null,
          commitSha: null,
          triggeredBy: null,
          stackLabels: null,
          account: null,
          timestampMillis: null,
          runCreatedAt: null,
          driftDetection: false,
          delta: null,
        },
      },
    });
  });

  it("reads run.delta's counts (not the resource total); a delta it cannot read counts as none", () => {
    const body = JSON.parse(exampleBody('run-finished-tracked.json')) as { run: Record<string, unknown> };
    body.run.delta = { added: 2, changed: 1, deleted: 0, resources: 9 };
    expect(parseWebhookPayload(body)).toMatchObject({
      ok: true,
      value: { event: { delta: { added: 2, changed: 1, deleted: 0 } } },
    });
    for (const odd of [null, { added: -1, changed: 0, deleted: 0 }, { added: 1 }, 'none']) {
      body.run.delta = odd;
      expect(parseWebhookPayload(body), JSON.stringify(odd)).toMatchObject({
        ok: true,
        value: { event: { delta: null } },
      });
    }
  });

  it('reads timestamp_millis, run.createdAt and run.driftDetection when they are sent', () => {
    const body = {
      ...JSON.parse(exampleBody('run-finished-tracked.json')),
      timestamp_millis: 1596979684321,
    } as { run: Record<string, unknown> };
    body.run.driftDetection = true;
    expect(parseWebhookPayload(body)).toMatchObject({
      ok: true,
      value: {
        event: {
          timestamp: 1596979684,
          timestampMillis: 1596979684321,
          runCreatedAt: 1596979665,
          driftDetection: true,
        },
      },
    });
  });

  it('keeps an empty label list apart from a missing one', () => {
    const body = JSON.parse(exampleBody('run-finished-tracked.json')) as { stack: { labels?: unknown } };
    expect(parseWebhookPayload(body)).toMatchObject({ ok: true, value: { event: { stackLabels: [] } } });
    body.stack.labels = null;
    expect(parseWebhookPayload(body)).toMatchObject({ ok: true, value: { event: { stackLabels: null } } });
  });

  it('refuses a negative timestamp_millis or a non-boolean driftDetection, naming them', () => {
    const body = {
      ...JSON.parse(exampleBody('run-finished-tracked.json')),
      timestamp_millis: -1,
    } as { run: Record<string, unknown> };
    body.run.driftDetection = 'yes';
    const r = parseWebhookPayload(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['timestamp_millis', 'run.driftDetection']);
  });
});

describe('parseWebhookPayload: the notification-policy payload', () => {
  it('normalises run_updated, converting nanoseconds to unix seconds and milliseconds', () => {
    expect(parse(exampleBody('notification-policy-run-updated.json'))).toEqual({
      ok: true,
      value: {
        kind: 'run',
        event: {
          runId: '01HZX4A1B2C3D4E5F6G7H8J9KA',
          stackId: 'network',
          state: 'FINISHED',
          stateVersion: null,
          runType: 'TRACKED',
          branch: 'main',
          commitSha: '9f2c1e7d4b3a29c8e1f0a6b5d4c3b2a1f0e9d8c7',
          timestamp: 1700000095,
          timestampMillis: 1700000095000,
          runCreatedAt: 1700000005,
          driftDetection: false,
          spaceId: 'platform-01HZX0000000000000000000',
          stackName: 'Network',
          stackLabels: ['team:platform'],
          account: 'spacelift-io',
          triggeredBy: 'jane@example.com',
          delta: null,
        },
      },
    });
  });

  it('reads drift_detection, and a missing created_at is null', () => {
    const body = JSON.parse(exampleBody('notification-policy-run-updated.json')) as {
      run_updated: { run: Record<string, unknown> };
    };
    body.run_updated.run.drift_detection = true;
    delete body.run_updated.run.created_at;
    expect(parseWebhookPayload(body)).toMatchObject({
      ok: true,
      value: { event: { driftDetection: true, runCreatedAt: null, timestampMillis: 1700000095000 } },
    });
  });

  it('names the failing snake_case fields', () => {
    const body = JSON.parse(exampleBody('notification-policy-run-updated.json'));
    delete body.run_updated.run.id;
    body.run_updated.stack.labels = ['ok', 7];
    const r = parseWebhookPayload(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.map((i) => i.path)).toEqual(['run_updated.run.id', 'run_updated.stack.labels[1]']);
    }
  });
});

describe('parseWebhookPayload: the internal-error event', () => {
  it('is recognised as an internal error', () => {
    expect(parse(exampleBody('internal-error.json'))).toEqual({
      ok: true,
      value: {
        kind: 'internal-error',
        title: 'Invalid Stack Slug Triggered',
        error: "policy triggered for Stack that doesn't exist",
        severity: 'ERROR',
      },
    });
  });
});

describe('parseWebhookPayload: other event types', () => {
  it('recognises any event type but run state changes as one to acknowledge and ignore', () => {
    expect(parse(JSON.stringify({ event_type: 'stack_updated_event', stack: { id: 'x' } }))).toEqual({
      ok: true,
      value: { kind: 'other-event', eventType: 'stack_updated_event' },
    });
    // A run state delivery that says so is still parsed (and validated) as one.
    const run = {
      ...JSON.parse(exampleBody('run-finished-tracked.json')),
      event_type: 'run_state_changed_event',
    };
    expect(parse(JSON.stringify(run))).toMatchObject({ ok: true, value: { kind: 'run' } });
    const broken = { event_type: 'run_state_changed_event', state: 'FINISHED' };
    expect(parse(JSON.stringify(broken)).ok).toBe(false);
  });
});

describe('parseWebhookPayload: bad bodies list every failing field', () => {
  const finished = () =>
    JSON.parse(exampleBody('run-finished-tracked.json')) as {
      run: Record<string, unknown>;
      [key: string]: unknown;
    };
  const cases: Array<{ name: string; body: () => unknown; paths: string[] }> = [
    {
      name: 'missing run id',
      body: () => {
        const b = finished();
        delete b.run.id;
        return b;
      },
      paths: ['run.id'],
    },
    {
      name: 'wrong types in several places',
      body: () => ({ ...finished(), state: 5, stateVersion: 'four', stack: { id: 42 } }),
      paths: ['state', 'stateVersion', 'stack.id'],
    },
    { name: 'an array', body: () => [finished()], paths: ['(root)'] },
    { name: 'a string', body: () => 'FINISHED', paths: ['(root)'] },
    { name: 'an empty object', body: () => ({}), paths: ['state', 'timestamp', 'run', 'stack'] },
    {
      name: 'an empty run id',
      body: () => ({ ...finished(), run: { ...finished().run, id: '' } }),
      paths: ['run.id'],
    },
    { name: 'an internal error without its message', body: () => ({ error: 'x' }), paths: ['title'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseWebhookPayload(c.body());
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(c.paths);
    });
  }
});
