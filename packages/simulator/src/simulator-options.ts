import { z } from 'zod';
import { SeedSchema } from './spacelift/seed-schema.js';

const rate = z.number().min(0).max(1);

const ApiKeySchema = z.strictObject({
  id: z.string().min(1),
  secret: z.string().min(1),
  /** Shown next to the key (startup banner, run pages); defaults to the id. */
  name: z.string().min(1).optional(),
});

/** The simulator's configuration (CLI flags map onto it); the single source of truth for its shape. */
export const SimulatorConfigSchema = z.strictObject({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  /** Spaces, stacks, contexts and blueprints to start with. */
  seed: SeedSchema.default(SeedSchema.parse({})),
  /** An API key `apiKeyUser` accepts (listed first); with no key at all a random one is made (`simulator.apiKey`). */
  apiKey: ApiKeySchema.optional(),
  /** More API keys, each with its own id (runs they trigger show `api::<key id>`). */
  apiKeys: z
    .array(ApiKeySchema)
    .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, 'API key ids must be unique')
    .default([]),
  /** Lifetime of issued JWTs. */
  jwtTtlSeconds: z.number().int().positive().default(3600),
  /** Time a run spends in each state; 0 moves runs as fast as the event loop allows. */
  stateDurationMs: z.number().int().min(0).default(1000),
  /** Runs that can be on workers at once (preparing, planning, applying...); 0 means no limit. Others wait in READY. */
  workers: z.number().int().min(0).default(0),
  /** Added to every answer of the GraphQL API, like a real account's round trip. */
  latencyMs: z.number().int().min(0).default(0),
  webhooks: z
    .strictObject({
      urls: z.array(z.url({ protocol: /^https?$/ })).default([]),
      /** Signs deliveries (`X-Signature-256`, `X-Signature`); unsigned when empty. */
      secret: z.string().default(''),
      /** Extra headers sent with every delivery. */
      headers: z.record(z.string().min(1), z.string()).default({}),
      /** Wait before retry n (1-based) of a 5xx answer is n times this. */
      retryBackoffMs: z.number().int().min(0).default(200),
      /** A webhook is disabled after this many failed deliveries in a row, as Spacelift does (10); 0 never. */
      disableAfterFailures: z.number().int().min(0).default(10),
    })
    .default({ urls: [], secret: '', headers: {}, retryBackoffMs: 200, disableAfterFailures: 10 }),
  faults: z
    .strictObject({
      /** How many times each delivery is sent (duplicates like real redeliveries). */
      deliveryCopies: z.number().int().min(1).default(1),
      /** Send a run's deliveries in a random order, once it ends or waits for confirmation. */
      shuffleDeliveries: z.boolean().default(false),
      /** Fraction of deliveries never sent. */
      dropRate: rate.default(0),
      /** Fraction of API requests answered with HTTP 500. */
      http500Rate: rate.default(0),
      /** Fraction of API requests answered with HTTP 429 and `Retry-After`. */
      http429Rate: rate.default(0),
      retryAfterSeconds: z.number().int().min(0).default(1),
      /** Seed of the random source behind every knob, so a run of faults replays exactly. */
      randomSeed: z.number().int().default(1),
    })
    .default({
      deliveryCopies: 1,
      shuffleDeliveries: false,
      dropRate: 0,
      http500Rate: 0,
      http429Rate: 0,
      retryAfterSeconds: 1,
      randomSeed: 1,
    })
    .refine((f) => f.http500Rate + f.http429Rate <= 1, {
      message: 'http500Rate + http429Rate must not exceed 1',
    }),
});

export type SimulatorConfigInput = z.input<typeof SimulatorConfigSchema>;
export type SimulatorConfig = z.output<typeof SimulatorConfigSchema>;

/** Options of `startSimulator`: the configuration plus what cannot come from a file. */
export interface StartSimulatorOptions extends SimulatorConfigInput {
  /** Clock in milliseconds (store timestamps, JWT expiry); tests pass a fake one. */
  now?: () => number;
  /** Used to deliver webhooks; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Where the simulator says what a user should know (a webhook disabled...); default: stderr. */
  log?: (message: string) => void;
}
