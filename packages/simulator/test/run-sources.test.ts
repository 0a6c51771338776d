import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { startSimulator, type Simulator } from '../src/index.js';
import { CliUsageError } from '../src/cli-options.js';
import { defaultSimulatorUrl } from '../src/simulator-requests.js';
import { runCli } from './cli-helpers.js';
import { post } from './http-helpers.js';

const seed = { stacks: [{ id: 'a' }, { id: 'b' }, { id: 'off', isDisabled: true }] };
const RUN = 'id simulatorStackId type state triggeredBy driftDetection commit { hash message }';
let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface RunResult {
  id: string;
  simulatorStackId: string;
  type: string;
  state: string;
  triggeredBy: string | null;
  driftDetection: boolean;
  commit: { hash: string; message: string };
}

describe('simulator-only run sources, over HTTP and without a JWT', () => {
  it('simulatorPush: one commit to several stacks, tracked runs triggered by nobody', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const { body } = await post(
      sim,
      `mutation { simulatorPush(stacks: ["a", "b", "off"], commitSha: "abc1234def", message: "Bump VPC") { ${RUN} } }`,
    );
    const runs = body.data!.simulatorPush as RunResult[];
    // The disabled stack ignores the push.
    expect(runs.map((r) => r.simulatorStackId)).toEqual(['a', 'b']);
    for (const run of runs) {
      expect(run).toMatchObject({
        type: 'TRACKED',
        state: 'QUEUED',
        triggeredBy: null,
        driftDetection: false,
        commit: { hash: 'abc1234def', message: 'Bump VPC' },
      });
    }
    expect(sim.store.stackRuns('off')).toEqual([]);
  });

  it('simulatorPush refuses an unknown stack before starting anything', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const { body } = await post(sim, `mutation { simulatorPush(stacks: ["a", "nope"]) { id } }`);
    expect(body.errors?.[0]).toMatchObject({
      message: 'stack "nope" not found',
      extensions: { code: 'NOT_FOUND' },
    });
    expect(sim.store.stackRuns('a')).toEqual([]);
  });

  it('simulatorUiRun: triggered by the user; simulatorDriftRun: a tracked run with driftDetection', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const ui = await post(
      sim,
      `mutation { simulatorUiRun(stack: "a", user: "jane@example.com") { ${RUN} } }`,
    );
    expect(ui.body.data!.simulatorUiRun).toMatchObject({ type: 'TRACKED', triggeredBy: 'jane@example.com' });
    const drift = await post(sim, `mutation { simulatorDriftRun(stack: "b") { ${RUN} } }`);
    expect(drift.body.data!.simulatorDriftRun).toMatchObject({
      type: 'TRACKED',
      triggeredBy: null,
      driftDetection: true,
    });
  });

  it('still needs a JWT for the real API', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const { body } = await post(sim, 'mutation { runTrigger(stack: "a") { id } }');
    expect(body.errors?.[0]?.message).toBe('unauthorized');
  });

  it('spacelift-simulator push / ui-run / drift-run call them and print each run with its page', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const push = await runCli([
      'push',
      '--url',
      sim.baseUrl,
      '--stack',
      'a',
      '--stack',
      'b',
      '--commit',
      'feedc0de',
    ]);
    expect(push.code).toBe(0);
    const [aRun, bRun] = [sim.store.stackRuns('a')![0]!, sim.store.stackRuns('b')![0]!];
    expect(push.stdout).toContain(
      `a: run ${aRun.id} (TRACKED, git push, commit feedc0d) ${sim.baseUrl}/stack/a/run/${aRun.id}`,
    );
    expect(push.stdout).toContain(`b: run ${bRun.id}`);
    expect(aRun.commit.hash).toBe(bRun.commit.hash);

    const [ui, drift, refused] = await Promise.all([
      runCli(['ui-run', '--url', `${sim.baseUrl}/graphql`, '--stack', 'a', '--user', 'jane']),
      runCli(['drift-run', '--url', sim.baseUrl, '--stack', 'b']),
      runCli(['ui-run', '--url', sim.baseUrl, '--stack', 'off', '--user', 'jane']),
    ]);
    expect(ui.stdout).toContain('(TRACKED, jane,');
    expect(drift.stdout).toContain('(TRACKED, drift detection,');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('stack "off" is disabled');
  });

  it('without --url they find the simulator at SIMULATOR_PORT; one they cannot reach suggests --url', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const [push, unreachable, badPort] = await Promise.all([
      runCli(['push', '--stack', 'a'], { SIMULATOR_PORT: String(sim.port) }),
      runCli(['drift-run', '--stack', 'b'], { SIMULATOR_PORT: String(closedPort) }),
      runCli(['drift-run', '--stack', 'b'], { SIMULATOR_PORT: 'four' }),
    ]);
    expect(push.code).toBe(0);
    expect(push.stdout).toContain(`${sim.baseUrl}/stack/a/run/${sim.store.stackRuns('a')![0]!.id}`);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain(
      `cannot reach the simulator at http://127.0.0.1:${closedPort} (ECONNREFUSED): is it running there? ` +
        'Pass its address with --url',
    );
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('SIMULATOR_PORT "four" is not a port (1-65535); fix it or pass --url.');
  });
});

describe('defaultSimulatorUrl', () => {
  it('is 127.0.0.1 at SIMULATOR_PORT, else at 4000', () => {
    expect(defaultSimulatorUrl({})).toBe('http://127.0.0.1:4000');
    expect(defaultSimulatorUrl({ SIMULATOR_PORT: '' })).toBe('http://127.0.0.1:4000');
    expect(defaultSimulatorUrl({ SIMULATOR_PORT: '4100' })).toBe('http://127.0.0.1:4100');
    for (const bad of ['0', '70000', '41.5', '-1']) {
      expect(() => defaultSimulatorUrl({ SIMULATOR_PORT: bad })).toThrow(CliUsageError);
    }
  });
});
