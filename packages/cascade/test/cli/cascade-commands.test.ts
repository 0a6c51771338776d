import { MockSpacelift } from 'spacelift-simulator/testing';
import { describe, expect, it } from 'vitest';
import type { RunObservation } from '../../src/cascade-contract.js';
import {
  NoCascadeOfRunError,
  statusCommand,
  triggerCommand,
  UnknownCascadeError,
} from '../../src/cli/cascade-commands.js';
import type { Output } from '../../src/cli/output.js';
import type { EstateModel } from '../../src/estate/estate-model.js';
import type { Coordinator } from '../../src/temporal/coordinator.js';
import { Estate, options } from '../estate/estate-driver.js';

/** The coordinator as the CLI sees it, answered by the real estate model (no Temporal). */
function coordinatorOver(model: EstateModel): Coordinator {
  const fake = {
    ref: { estateId: 'estate', taskQueue: 'queue', options },
    observe: (obs: RunObservation) => Promise.resolve(void model.observe(obs, obs.at)),
    cascade: (id: string) => Promise.resolve(model.findCascade(id)),
    estate: () => Promise.resolve(model.estate()),
    controls: () => Promise.resolve(model.controlsView()),
  };
  return fake as unknown as Coordinator;
}

function estate() {
  const mock = new MockSpacelift({
    seed: { stacks: [{ id: 'network' }, { id: 'database', labels: ['dependsOn:network'] }] },
  });
  const e = new Estate({ network: [], database: ['network'] });
  const lines: string[] = [];
  const o = (json = false): Output => ({ out: (line) => lines.push(line), json, tty: false });
  return { mock, e, coordinator: coordinatorOver(e.model), lines, o };
}

/** The coordinator hears that `run` of `stackId` finished, a second after it was created. */
function finished(e: Estate, stackId: string, run: { id: string; createdAt: number }): void {
  e.clock = run.createdAt + 1;
  e.finish(stackId, run.id, 'FINISHED', run.createdAt);
}

describe('trigger without --follow', () => {
  it('prints the run and the command that shows the cascade it starts or joins', async () => {
    const { mock, coordinator, lines, o } = estate();
    expect(await triggerCommand(mock, coordinator, 'network', { follow: false }, o())).toBe(0);
    const runId = mock.store.stackRuns('network')![0]!.id;
    expect(lines).toEqual([
      `Triggered run ${runId} of stack network.`,
      `Run: https://acme.app.spacelift.io/stack/network/run/${runId}\n` +
        `Follow the cascade it starts or joins once it finishes: spacelift-cascade cascades status ${runId}`,
    ]);
  });

  it('--json: the run, its page and the command', async () => {
    const { mock, coordinator, lines, o } = estate();
    await triggerCommand(mock, coordinator, 'network', { follow: false }, o(true));
    const runId = mock.store.stackRuns('network')![0]!.id;
    expect(JSON.parse(lines.join('\n'))).toEqual({
      runId,
      runUrl: `https://acme.app.spacelift.io/stack/network/run/${runId}`,
      follow: `spacelift-cascade cascades status ${runId}`,
    });
  });
});

describe('cascades status <run id>', () => {
  it('before the run ends: no cascade yet, saying what the run does; then the cascade it started', async () => {
    const { mock, e, coordinator, lines, o } = estate();
    await triggerCommand(mock, coordinator, 'network', { follow: false }, o());
    const run = mock.store.stackRuns('network')![0]!;
    const status = statusCommand(coordinator, run.id, o());
    await expect(status).rejects.toThrow(NoCascadeOfRunError);
    await expect(status).rejects.toThrow(
      `no cascade yet: run ${run.id} of network is QUEUED; the cascade it starts (or joins) shows here once it finishes`,
    );

    finished(e, 'network', run);
    lines.length = 0;
    expect(await statusCommand(coordinator, run.id, o())).toBe(0);
    expect(lines.join('\n')).toMatch(
      new RegExp(
        `^cascade cascade-${run.id} from network: running\n  network: changed \\(run ${run.id}\\), started it\n  database: waiting`,
      ),
    );
  });

  it('a run that ended without a cascade says so; an id nobody knows is unknown', async () => {
    const { mock, e, coordinator, o } = estate();
    await triggerCommand(mock, coordinator, 'database', { follow: false }, o());
    const run = mock.store.stackRuns('database')![0]!;
    finished(e, 'database', run);
    await expect(statusCommand(coordinator, run.id, o())).rejects.toThrow(
      `run ${run.id} of database finished and started no cascade: no stack depends on database, or the run changed nothing.`,
    );
    await expect(statusCommand(coordinator, 'R-nobody-knows', o())).rejects.toThrow(UnknownCascadeError);
  });
});
