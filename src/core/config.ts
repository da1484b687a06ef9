/**
 * Configuration pieces every family shares: optimizer, train and eval schemas (zod), YAML parsing with
 * line/column errors, preset lookup and deep merging of command-line overrides. The whole run schema,
 * with each family's `model` section, is assembled in src/families/config.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const PRESETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'presets');

export function listPresets(): { name: string; description: string }[] {
  return fs
    .readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const raw = parseYaml(fs.readFileSync(path.join(PRESETS_DIR, f), 'utf8'), f) as { description?: string };
      return { name: f.replace(/\.yaml$/, ''), description: String(raw.description ?? '') };
    });
}

export function parseYaml(text: string, source: string): unknown {
  try {
    return YAML.parse(text);
  } catch (e) {
    if (e instanceof YAML.YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new ConfigError(`malformed YAML in ${source}${where}: ${e.message.split('\n')[0]}`);
    }
    throw e;
  }
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}

