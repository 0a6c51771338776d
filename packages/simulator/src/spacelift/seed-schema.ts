import { z } from 'zod';

/**
 * The seed format shared by `MockSpacelift` and the simulator's `--seed` file: the single
 * source of truth for it (types are inferred). Every field but ids and names has a default,
 * so a seed stays short.
 */

const labels = z.array(z.string().min(1)).default([]);

/**
 * What a stack's runs end in; the simulator and `MockSpacelift.finishRun` follow it, and it
 * decides each run's delta (see `planRun` in stack-behaviour.ts). FINISHED applies changes
 * (a non-zero delta); NO_CHANGES finishes a tracked run after planning (a zero delta, outputs
 * untouched); OUTPUTS_ONLY applies a change to one output and to no resource (a zero delta);
 * FAILED fails after planning; UNCONFIRMED is FINISHED but waits for confirmation even with
 * autodeploy.
 */
export const RunOutcomeSchema = z.enum(['FINISHED', 'FAILED', 'UNCONFIRMED', 'NO_CHANGES', 'OUTPUTS_ONLY']);
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

/**
 * Whether a run that applies resource changes also changes one of the stack's outputs: a
 * probability from 0 to 1, or true (always) and false (never), read as 1 and 0.
 */
export const ChangesOutputsSchema = z
  .union([z.boolean(), z.number().min(0).max(1)], {
    error: 'expected a probability from 0 to 1, or true or false',
  })
  .transform((v) => (typeof v === 'boolean' ? Number(v) : v));

export const SeedSpaceSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  description: z.string().default(''),
  parentSpace: z.string().min(1).default('root'),
  inheritEntities: z.boolean().default(false),
  labels,
});

/** An output of a stack's last applied run, as `stack { outputs }` reads it. */
export const SeedStackOutputSchema = z.strictObject({
  /** The output's name. */
  id: z.string().min(1),
  /** A string, as the API returns every output (JSON for lists and objects). */
  value: z.string(),
  /** The API reads a sensitive output's value as null. */
  sensitive: z.boolean().default(false),
  description: z.string().nullable().default(null),
});

export const SeedStackSchema = z
  .strictObject({
    id: z.string().min(1),
    name: z.string().min(1).optional(),
    description: z.string().nullable().default(null),
    space: z.string().min(1).default('root'),
    repository: z.string().min(1).default('infra'),
    branch: z.string().min(1).default('main'),
    projectRoot: z.string().nullable().default(null),
    administrative: z.boolean().default(false),
    /**
     * True by default so seeded graphs flow without confirmations (the real API and the
     * Terraform provider default to false: runs then wait in UNCONFIRMED for `runConfirm`).
     */
    autodeploy: z.boolean().default(true),
    /** A disabled stack refuses every run. */
    isDisabled: z.boolean().default(false),
    labels,
    /** How this stack's runs end (see `RunOutcomeSchema`). */
    outcome: RunOutcomeSchema.default('FINISHED'),
    /** Whether a run that changes resources also changes an output (see `ChangesOutputsSchema`). */
    changesOutputs: ChangesOutputsSchema.default(0),
    /** Resources the stack manages (a delta's `resources`); runs that add or delete some change it. */
    resources: z.number().int().min(0).default(10),
    outputs: z
      .array(SeedStackOutputSchema)
      .refine(
        (outputs) => new Set(outputs.map((o) => o.id)).size === outputs.length,
        'output ids must be unique',
      )
      .default([]),
  })
  .refine((s) => s.outcome !== 'OUTPUTS_ONLY' || s.outputs.length > 0, {
    path: ['outcome'],
    message: 'OUTPUTS_ONLY changes an output: give the stack outputs',
  });

const SeedConfigElementSchema = z.strictObject({
  id: z.string().min(1),
  value: z.string(),
  type: z.enum(['ENVIRONMENT_VARIABLE', 'FILE_MOUNT']).default('ENVIRONMENT_VARIABLE'),
  writeOnly: z.boolean().default(false),
  description: z.string().nullable().default(null),
});

const SeedContextSchema = z.strictObject({
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  description: z.string().nullable().default(null),
  space: z.string().min(1).default('root'),
  labels,
  config: z.array(SeedConfigElementSchema).default([]),
});

const SeedBlueprintInputSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  type: z.string().default('short_text'),
  default: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
});

/** The stack a blueprint creates; string values may use `${{ inputs.<id> }}`. */
export const SeedBlueprintStackSchema = z.strictObject({
  name: z.string().min(1),
  space: z.string().min(1).default('root'),
  description: z.string().nullable().default(null),
  repository: z.string().min(1).default('infra'),
  branch: z.string().min(1).default('main'),
  projectRoot: z.string().nullable().default(null),
  administrative: z.boolean().default(false),
  autodeploy: z.boolean().default(true),
  labels,
});

export const SeedBlueprintSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  description: z.string().nullable().default(null),
  space: z.string().min(1).default('root'),
  state: z.enum(['DRAFT', 'PUBLISHED']).default('PUBLISHED'),
  labels,
  inputs: z.array(SeedBlueprintInputSchema).default([]),
  stack: SeedBlueprintStackSchema,
});

export const SeedSchema = z.strictObject({
  /** Account name sent in webhook payloads. */
  account: z.string().min(1).default('simulator'),
  spaces: z.array(SeedSpaceSchema).default([]),
  stacks: z.array(SeedStackSchema).default([]),
  contexts: z.array(SeedContextSchema).default([]),
  blueprints: z.array(SeedBlueprintSchema).default([]),
});

/** A seed as written (defaults optional). */
export type SeedInput = z.input<typeof SeedSchema>;
/** A seed after validation (defaults applied). */
export type Seed = z.output<typeof SeedSchema>;
export type SeedSpace = z.output<typeof SeedSpaceSchema>;
export type SeedStack = z.output<typeof SeedStackSchema>;
export type SeedStackInput = z.input<typeof SeedStackSchema>;
export type SeedStackOutput = z.output<typeof SeedStackOutputSchema>;
export type SeedBlueprint = z.output<typeof SeedBlueprintSchema>;
export type SeedBlueprintStack = z.output<typeof SeedBlueprintStackSchema>;
