/** The seeded estate the service benches start (memory, dashboard-calls), and the stack they push. */
import { seededRandom } from 'spacelift-simulator';
import { generateStacks } from './cascade/graph-shapes.js';
import { soakEstate } from './soak/soak.js';

/**
 * `stacks` stacks and the stack whose change is pushed (about 80 stacks downstream of it): 306 is
 * the soak's estate; any other count, layered diamonds under one root, as the cascade bench
 * generates them.
 */
export function estateWithPush(stacks: number): {
  stacks: Array<{ id: string; labels: string[] }>;
  push: string;
} {
  if (stacks === 306) return { stacks: soakEstate(seededRandom(1)), push: 'l0-s0' };
  const generated = generateStacks('layered-diamonds', stacks - 1);
  // Twelve layers above the bottom, as deep as the soak's estate: its closure grows by two a layer.
  const width = Math.max(2, Math.round(Math.sqrt(stacks - 1)));
  const layers = Math.ceil((stacks - 1) / width);
  return { stacks: generated, push: `s${Math.max(0, layers - 12) * width}` };
}
