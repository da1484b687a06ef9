/**
 * The config schemas every family shares (optimizer, train, eval), with no Node imports, so browser code
 * (the studio's playground, optimizers) can use their types.
 */
import { z } from 'zod';

export const optimizerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('adam'), lr: z.number().positive(), beta1: z.number().min(0).max(1).default(0.5), beta2: z.number().min(0).max(1).default(0.999), eps: z.number().positive().optional() }).strict(),
  z.object({ type: z.literal('sgd'), lr: z.number().positive(), momentum: z.number().min(0).max(1).default(0) }).strict(),
  z.object({ type: z.literal('rmsprop'), lr: z.number().positive(), rho: z.number().min(0).max(1).default(0.99), eps: z.number().positive().optional() }).strict(),
]);

/** An optimizer's settings as written in a config (defaults not yet filled in). */
export type OptimizerConfig = z.input<typeof optimizerSchema>;

/** Settings every family's training shares: length, batch, logging cadence, the learning-rate schedule. */
export const trainSchema = z
  .object({
    steps: z.number().int().positive(),
    batchSize: z.number().int().positive().max(4096),
    logEvery: z.number().int().positive().default(50),
    sampleEvery: z.number().int().positive().default(500),
    checkpointEvery: z.number().int().positive().default(500),
    /** Learning rates decay linearly to this fraction over the last `lrDecayFraction` of the run (1 = constant). */
    lrFinalFactor: z.number().min(0).max(1).default(1),
    lrDecayFraction: z.number().min(0).max(1).default(0),
    /** Step drops: from step `at` on, learning rates are multiplied by `factor` (drops compound). */
    lrDrops: z.array(z.object({ at: z.number().int().min(0), factor: z.number().positive().max(1) }).strict()).default([]),
  })
  .strict();

export const evalSchema = z
  .object({
    metrics: z.array(z.string()).default([]),
    every: z.number().int().min(0).default(0),
    n: z.number().int().positive().default(2500),
  })
  .strict()
  .default({ metrics: [], every: 0, n: 2500 });
