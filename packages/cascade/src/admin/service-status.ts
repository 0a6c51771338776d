/** What the service says is wrong beyond "this receiver takes webhooks": `GET /api/status`. */
import { z } from 'zod';

const problemPartSchema = z
  .enum(['spacelift', 'temporal', 'worker', 'account', 'webhooks', 'config'])
  .describe('The part of the service the problem is in');

/** One open problem, in words, with what to do about it. */
export const serviceProblemSchema = z.object({
  part: problemPartSchema,
  message: z.string().describe('What is wrong and what to do, e.g. which setting to check'),
});

export const serviceStatusSchema = z.object({
  ok: z.boolean().describe('true when no problem is open'),
  problems: z.array(serviceProblemSchema),
});

export type ProblemPart = z.infer<typeof problemPartSchema>;
export type Problem = z.infer<typeof serviceProblemSchema>;
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

/** Where the open problems come from (the service's health checks); read on each status request and scrape. */
export type ProblemSource = () => Promise<readonly Problem[]> | readonly Problem[];
