import { MockSpacelift } from 'spacelift-simulator/testing';
import { describe, expect, it } from 'vitest';
import { reconcileEstate } from '../../src/activities/reconcile-estate.js';
import { createDashboardSource } from '../../src/dashboard/dashboard-source.js';
import { EstateCatalog } from '../../src/service/estate-catalog.js';
import type { Coordinator } from '../../src/temporal/coordinator.js';

/** A mock Spacelift that counts its estate-wide reads. */
function countingSpacelift() {
  const mock = new MockSpacelift({
    seed: {
      stacks: [
        { id: 'network', name: 'Network' },
        { id: 'app', name: 'App', labels: ['dependsOn:network'] },
      ],
    },
  });
  const searches = { count: 0 };
  const search = mock.searchStacks.bind(mock);
  mock.searchStacks = (options) => {
    searches.count++;
    return search(options);
  };
  return { mock, searches };
}

describe('one reader of the estate', () => {
  it("the dashboard draws the graph the worker's pass read, and reads Spacelift only when that is too old", async () => {
    const { mock, searches } = countingSpacelift();
    const catalog = new EstateCatalog();
    let clock = 1_000_000;
    const source = createDashboardSource({
      // The graph never asks the coordinator while the pass's read is at hand.
      coordinator: {} as Coordinator,
      api: mock,
      catalog: { estate: catalog, maxAgeMs: 150_000 },
      labelPrefix: 'dependsOn:',
      runUrlBase: 'https://acme.app.spacelift.io',
      graphMaxAgeMs: 5_000,
      now: () => clock,
    });

    await reconcileEstate(
      mock,
      { labelPrefix: 'dependsOn:', cursor: null, graphDigest: null },
      null,
      catalog,
    );
    const passReads = searches.count;
    expect(passReads).toBeGreaterThanOrEqual(1);
    catalog.update(catalog.read(Infinity)!, clock);

    // A page open for ten minutes, refreshing: no read of its own.
    for (let i = 0; i < 120; i++) {
      clock += 5_000;
      if (clock - 1_000_000 < 140_000) catalog.update(catalog.read(Infinity)!, clock);
      const graph = await source.graph();
      expect(graph.stacks.map((s) => s.id).sort()).toEqual(['app', 'network']);
      if (clock - 1_000_000 >= 140_000) break;
    }
    expect(searches.count).toBe(passReads);
    const app = (await source.graph()).stacks.find((s) => s.id === 'app');
    expect(app).toMatchObject({ name: 'App', upstreams: ['network'] });

    // No pass for longer than maxAgeMs (the worker is elsewhere, or stopped): the dashboard reads itself.
    clock += 200_000;
    await source.graph();
    await new Promise((r) => setTimeout(r, 100));
    expect(searches.count).toBeGreaterThan(passReads);
  });
});
