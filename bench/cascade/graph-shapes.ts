/** Generated stack graphs for the cascade bench: a root stack and `size` stacks downstream of it. */

export const SHAPES = ['chain', 'fan-out', 'layered-diamonds'] as const;
export type Shape = (typeof SHAPES)[number];

export interface BenchStack {
  id: string;
  labels: string[];
}

export const ROOT_STACK = 'root';
export const LABEL_PREFIX = 'dependsOn:';

/** `size` stacks downstream of `root`, labelled as the shape says. */
export function generateStacks(shape: Shape, size: number): BenchStack[] {
  const stacks: BenchStack[] = [{ id: ROOT_STACK, labels: [] }];
  const dep = (id: string) => `${LABEL_PREFIX}${id}`;
  if (shape === 'chain') {
    for (let i = 0; i < size; i++)
      stacks.push({ id: `s${i}`, labels: [dep(i === 0 ? ROOT_STACK : `s${i - 1}`)] });
  } else if (shape === 'fan-out') {
    for (let i = 0; i < size; i++) stacks.push({ id: `s${i}`, labels: [dep(ROOT_STACK)] });
  } else {
    // Layers of sqrt(size) stacks, each depending on two neighbours of the layer above.
    const width = Math.max(2, Math.round(Math.sqrt(size)));
    for (let i = 0; i < size; i++) {
      const layer = Math.floor(i / width);
      const at = i % width;
      const above = (j: number) => `s${(layer - 1) * width + (j % width)}`;
      stacks.push({
        id: `s${i}`,
        labels: layer === 0 ? [dep(ROOT_STACK)] : [dep(above(at)), dep(above(at + 1))],
      });
    }
  }
  return stacks;
}
