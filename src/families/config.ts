/**
 * The run config: the shared sections (seed, data, train, eval) plus a `model` section whose schema the
 * family named by `model.family` owns. Validation errors name the file and each bad field by its dotted
 * path. Configs written before families existed (a GAN's loss, regularizer and optimizers outside
 * `model`) are moved into the new shape on load, so old presets and run folders keep working.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError, deepMerge, evalSchema, listPresets, parseYaml, PRESETS_DIR, trainSchema } from '../core/config.ts';
import { datasetConfigSchema, datasetHasLabels } from '../data/registry.ts';
import { familyNames, getFamily } from './family.ts';
import './index.ts';

const baseSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().min(0).default(1),
    data: datasetConfigSchema,
    model: z.object({ family: z.string() }).passthrough(),
    train: trainSchema,
    eval: evalSchema,
  })
  .strict();

/** A validated run config; `model` is the family's own section (validated by its schema). */
export type RunConfig = Omit<z.infer<typeof baseSchema>, 'model'> & { model: { family: string } & Record<string, unknown> };

/** The GAN fields that lived outside `model` before families existed, and where they go now. */
const LEGACY_TOP = ['loss', 'regularizer'] as const;
const LEGACY_TRAIN = ['dSteps', 'gSteps', 'optimizerG', 'optimizerD', 'emaDecay', 'auxWeight', 'auxFakeWeight'] as const;

/** Moves a pre-family GAN config into the family shape (a config that names its family is left alone). */
export function migrateLegacyConfig(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = raw as Record<string, unknown>;
  const model = r.model as Record<string, unknown> | undefined;
  if (!model || typeof model !== 'object' || 'family' in model) return raw;
  const out: Record<string, unknown> = { ...r };
  const newModel: Record<string, unknown> = { family: 'gan', ...model };
  for (const k of LEGACY_TOP) {
    if (k in out) {
      newModel[k] = out[k];
      delete out[k];
    }
  }
  if (out.train && typeof out.train === 'object') {
    const train = { ...(out.train as Record<string, unknown>) };
    for (const k of LEGACY_TRAIN) {
      if (k in train) {
        newModel[k] = train[k];
        delete train[k];
      }
    }
    out.train = train;
  }
  out.model = newModel;
  return out;
}

function issuesToError(source: string, issues: z.ZodError["issues"], prefix: (string | number)[] = []): ConfigError {
  const lines = issues.map((i) => `  ${[...prefix, ...i.path].map(String).join('.') || '(root)'}: ${i.message}`);
  return new ConfigError(`invalid config in ${source}:\n${lines.join('\n')}`);
}

/** Validates a raw object (the family's schema checks `model`); errors list each bad field by its dotted path. */
export function validateConfig(raw: unknown, source: string): RunConfig {
  const parsed = baseSchema.safeParse(migrateLegacyConfig(raw));
  if (!parsed.success) throw issuesToError(source, parsed.error.issues);
  const cfg = parsed.data;
  if (!familyNames().includes(cfg.model.family)) {
    throw new ConfigError(`invalid config in ${source}:\n  model.family: unknown family '${cfg.model.family}'; known: ${familyNames().join(', ')}`);
  }
  const family = getFamily(cfg.model.family);
  const model = family.modelSchema.safeParse(cfg.model);
  if (!model.success) throw issuesToError(source, model.error.issues, ['model']);
  const out = { ...cfg, model: model.data as RunConfig['model'] };
  const conditioning = (out.model as { conditioning?: string }).conditioning;
  if (conditioning !== undefined && conditioning !== 'none' && !datasetHasLabels(out.data)) {
    throw new ConfigError(`invalid config in ${source}:\n  model.conditioning: dataset ${out.data.name} has no labels`);
  }
  return out;
}

/** Loads a preset by name or a YAML file by path, then applies overrides (e.g. from flags). */
export function loadConfig(presetOrPath: string, overrides: Record<string, unknown> = {}): RunConfig {
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
  return validateConfig(deepMerge(migrateLegacyConfig(raw) as Record<string, unknown>, overrides), path.basename(file));
}

export function configToYaml(cfg: RunConfig): string {
  return YAML.stringify(cfg);
}
