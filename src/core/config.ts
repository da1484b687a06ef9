/**
 * Run configuration: the schema every preset and user YAML is validated against (zod), preset lookup,
 * and deep merging of command-line overrides. Errors name the file, line or field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';

const optimizer = z.discriminatedUnion('type', [
  z.object({ type: z.literal('adam'), lr: z.number().positive(), beta1: z.number().min(0).max(1).default(0.5), beta2: z.number().min(0).max(1).default(0.999), eps: z.number().positive().optional() }).strict(),
  z.object({ type: z.literal('sgd'), lr: z.number().positive(), momentum: z.number().min(0).max(1).default(0) }).strict(),
  z.object({ type: z.literal('rmsprop'), lr: z.number().positive(), rho: z.number().min(0).max(1).default(0.99), eps: z.number().positive().optional() }).strict(),
]);

const arch = z.discriminatedUnion('arch', [
  z.object({ arch: z.literal('mlp'), hidden: z.number().int().positive().max(8192), depth: z.number().int().min(1).max(16), pack: z.number().int().min(1).max(16).default(1), gNorm: z.enum(['batch', 'none']).default('none'), dInputScale: z.number().positive().max(1000).default(1), latentComponents: z.number().int().min(0).max(4096).default(0), latentNoiseScale: z.number().positive().max(100).default(1) }).strict(),
  z.object({ arch: z.literal('dcgan'), width: z.number().int().positive().max(1024), dNorm: z.enum(['batch', 'none', 'spectral']).default('batch'), dStyle: z.enum(['dcgan', 'sngan-cnn']).default('dcgan') }).strict(),
]);

export const configSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().min(0).default(1),
    data: z
      .object({
        name: z.enum(['ring8', 'grid25', 'mnist', 'fashion-mnist', 'cifar10', 'stacked-mnist', 'folder']),
        dir: z.string().optional(),
        imageSize: z.number().int().positive().max(1024).optional(),
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
        labeled: z.boolean().default(false),
      })
      .strict(),
    model: z
      .object({
        latentDim: z.number().int().positive().max(4096),
        conditioning: z.enum(['none', 'concat', 'acgan', 'projection']).default('none'),
        network: arch,
      })
      .strict(),
    loss: z.enum(['minimax', 'nonsaturating', 'wasserstein', 'hinge', 'leastsquares']),
    regularizer: z
      .object({
        type: z.enum(['none', 'clip', 'gp', 'r1']).default('none'),
        /** λ for the gradient penalty, γ for R1 (applied as γ/2·R1). */
        weight: z.number().min(0).default(10),
        /** Weight-clipping bound c. */
        clip: z.number().positive().default(0.01),
      })
      .strict()
      .default({ type: 'none', weight: 10, clip: 0.01 }),
    train: z
      .object({
        steps: z.number().int().positive(),
        batchSize: z.number().int().positive().max(4096),
        dSteps: z.number().int().min(1).max(100).default(1),
        gSteps: z.number().int().min(1).max(100).default(1),
        optimizerG: optimizer,
        optimizerD: optimizer,
        /** EMA decay of the generator's weights; 0 turns EMA off. */
        emaDecay: z.number().min(0).max(1).default(0.999),
        /** ACGAN: weight of the auxiliary classification loss. */
        auxWeight: z.number().min(0).default(1),
        /**
         * ACGAN: weight of the fake samples' class loss in D's objective (1 = the original ACGAN). At 0
         * D's classifier learns from real images only, so G must draw the class as real data shows it.
         */
        auxFakeWeight: z.number().min(0).default(1),
        logEvery: z.number().int().positive().default(50),
        sampleEvery: z.number().int().positive().default(500),
        checkpointEvery: z.number().int().positive().default(500),
        /** Learning rates decay linearly to this fraction over the last `lrDecayFraction` of the run (1 = constant). */
        lrFinalFactor: z.number().min(0).max(1).default(1),
        lrDecayFraction: z.number().min(0).max(1).default(0),
      })
      .strict(),
    eval: z
      .object({
        metrics: z.array(z.string()).default([]),
        every: z.number().int().min(0).default(0),
        n: z.number().int().positive().default(2500),
      })
      .strict()
      .default({ metrics: [], every: 0, n: 2500 }),
  })
  .strict();

export type GanConfig = z.infer<typeof configSchema>;

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

function parseYaml(text: string, source: string): unknown {
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

/** Validates a raw object; errors list each bad field by its dotted path. */
export function validateConfig(raw: unknown, source: string): GanConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid config in ${source}:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  if (cfg.model.conditioning !== 'none' && !['mnist', 'fashion-mnist', 'cifar10', 'folder'].includes(cfg.data.name)) {
    throw new ConfigError(`invalid config in ${source}:\n  model.conditioning: dataset ${cfg.data.name} has no labels`);
  }
  return cfg;
}

/** Loads a preset by name or a YAML file by path, then applies overrides (e.g. from flags). */
export function loadConfig(presetOrPath: string, overrides: Record<string, unknown> = {}): GanConfig {
  let file: string;
  if (presetOrPath.endsWith('.yaml') || presetOrPath.endsWith('.yml') || presetOrPath.includes(path.sep)) {
    file = path.resolve(presetOrPath);
    if (!fs.existsSync(file)) throw new ConfigError(`config file not found: ${file}`);
  } else {
    file = path.join(PRESETS_DIR, `${presetOrPath}.yaml`);
    if (!fs.existsSync(file)) {
      const names = listPresets().map((p) => p.name);
      throw new ConfigError(`unknown preset '${presetOrPath}'. Valid presets: ${names.join(', ')}`);
    }
  }
  const raw = parseYaml(fs.readFileSync(file, 'utf8'), path.basename(file));
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`invalid config in ${path.basename(file)}: expected a mapping at the top level`);
  return validateConfig(deepMerge(raw as Record<string, unknown>, overrides), path.basename(file));
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

export function configToYaml(cfg: GanConfig): string {
  return YAML.stringify(cfg);
}
