import { createHash } from 'node:crypto';
import type { SpaceliftApi, StackOutput } from 'spacelift-client';
import type { OutputsRead } from '../estate/cutoff-rule.js';
import { callSpacelift } from './spacelift-failure.js';

/**
 * A stack's outputs as early cutoff compares them: one `stack { outputs }` read, kept as a
 * digest (the coordinator's history never holds output values). null when the stack is gone.
 */
export async function readStackOutputs(api: SpaceliftApi, stackId: string): Promise<OutputsRead | null> {
  const outputs = await callSpacelift(`read the outputs of stack ${stackId}`, () =>
    api.getStackOutputs(stackId),
  );
  return outputs === null ? null : digestOutputs(outputs);
}

/**
 * The digest of every output's id and value, in id order. A sensitive output counts by its id
 * only and is listed as hidden: the API does not show its value (it reads null), so two reads
 * cannot tell whether it changed.
 */
export function digestOutputs(
  outputs: readonly Pick<StackOutput, 'id' | 'sensitive' | 'value'>[],
): OutputsRead {
  const sorted = [...outputs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hidden = sorted.filter((o) => o.sensitive).map((o) => o.id);
  const entries = sorted.map((o) => (o.sensitive ? [o.id] : [o.id, o.value ?? null]));
  // 96 bits tell one stack's outputs from its previous ones; the coordinator carries one per stack.
  const digest = createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 16);
  return { digest, hidden };
}
