/**
 * Sweep files: a base preset or config, a grid (cross product) and/or a list of overrides, seeds, and the
 * metrics to compute at the end. Expanded into jobs whose configs are validated with the run schema, so a
 * bad value is reported by its field before anything trains.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, parseYaml } from '../core/config.ts';
import { loadConfig, type RunConfig } from '../families/config.ts';

export class SweepError extends Error {
  override name = 'SweepError';
}

/** A job id, a run folder name and a BullMQ job id at once: no ':' (BullMQ) and no path separators. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const overridesSchema = z.record(z.string().min(1), z.unknown());

export const sweepSchema = z
  .object({
    /** The sweep's name: job ids and the default results folder (runs/sweeps/<name>) carry it. Default: the file's name. */
    name: z.string().regex(NAME_PATTERN, 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit').optional(),
    /** A preset name or a config file (relative to the sweep file). */
    base: z.string().min(1),
    seeds: z.array(z.number().int().min(0)).min(1).default([1]),
    /** Config path (dots for nesting) → the values to try; the configurations are the cross product. */
    grid: z.record(z.string().min(1), z.array(z.unknown()).min(1)).default({}),
    /** Explicit configurations, each a map of config paths to values (an optional `label` names it); crossed with the grid. */
    list: z.array(overridesSchema).default([]),
    /** Applied to every configuration before the list and the grid. */
    overrides: overridesSchema.default({}),
    /** Extra `gantry eval` metrics computed on each finished run (the run's own final evaluation is always kept). */
    metrics: z.array(z.enum(['modes', 'fid', 'kid', 'is', 'pr', 'dc', 'conf', 'stacked', 'acc'])).default([]),
    /** Samples for the extra metrics (the eval command's default otherwise). */
    evalN: z.number().int().positive().optional(),
    /** Attempts after the first for a job that crashed or whose worker died; a diverged run is not retried. */
    retries: z.number().int().min(0).max(20).default(2),
    /** Results folder (relative to the sweep file); `--out` wins. */
    out: z.string().min(1).optional(),
  })
  .strict();

export type SweepSpec = z.infer<typeof sweepSchema>;

/** One training run of a sweep: a configuration at one seed. */
export interface SweepJob {
  /** `<sweep>.<config hash>.s<seed>`: the same configuration and seed give the same id, so a re-run skips it. */
  id: string;
  sweep: string;
  /** Names the configuration (its overrides) in tables and plots. */
  label: string;
  /** Hash of the validated config without its seed: the key that groups seeds of one configuration. */
  configHash: string;
  seed: number;
  overrides: Record<string, unknown>;
  config: RunConfig;
  /** The preset (or config file's name) the jobs start from; runs record it as their preset. */
  base: string;
  metrics: string[];
  evalN?: number;
  retries: number;
}

const TOP_KEYS = new Set(['name', 'description', 'seed', 'data', 'model', 'train', 'eval']);
/** GAN fields that a pre-family config kept under `train` (paths like `train.optimizerD.lr` still work). */
const LEGACY_TRAIN = new Set(['dSteps', 'gSteps', 'optimizerG', 'optimizerD', 'emaDecay', 'auxWeight', 'auxFakeWeight']);

/**
 * Where a sweep path lands in the run config: a field outside the shared sections belongs to the
 * family's `model` section (`loss` → `model.loss`), as do the GAN fields older configs kept in `train`.
 */
export function resolveConfigPath(dotted: string): string[] {
  const parts = dotted.split('.');
  if (parts.some((p) => p === '')) throw new SweepError(`config path '${dotted}' has an empty segment`);
  if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new SweepError(`config path '${dotted}' is not allowed`);
  if (parts[0] === 'train' && parts.length > 1 && LEGACY_TRAIN.has(parts[1]!)) return ['model', ...parts.slice(1)];
  if (!TOP_KEYS.has(parts[0]!)) return ['model', ...parts];
  return parts;
}

/** Nested override object from dotted paths (later paths win; a path below a scalar replaces it). */
export function nestOverrides(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(flat)) {
    const parts = resolveConfigPath(dotted);
    let cur = out;
    for (const p of parts.slice(0, -1)) {
      const next = cur[p];
      if (!next || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1]!;
    const prev = cur[last];
    // A whole object given at a path merges with deeper paths given before it.
    cur[last] = value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object' && !Array.isArray(prev) ? { ...prev, ...value } : value;
  }
  return out;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What trains, without the seed and the human-facing name: equal configs give equal hashes. */
export function configHash(cfg: RunConfig): string {
  const rest: Record<string, unknown> = { ...cfg };
  delete rest.seed;
  delete rest.name;
  delete rest.description;
  return crypto.createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 12);
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The configurations of a sweep: each list entry (or none) crossed with the grid, in file order. */
export function configurations(spec: SweepSpec): { label: string; overrides: Record<string, unknown> }[] {
  let combos: { parts: string[]; overrides: Record<string, unknown> }[] = spec.list.length
    ? spec.list.map((entry) => {
      const { label, ...rest } = entry as { label?: unknown } & Record<string, unknown>;
      const parts = label !== undefined ? [String(label)] : Object.entries(rest).map(([k, v]) => `${k}=${formatValue(v)}`);
      return { parts, overrides: rest };
    })
    : [{ parts: [], overrides: {} }];
  for (const [key, values] of Object.entries(spec.grid)) {
    combos = combos.flatMap((c) => values.map((v) => ({ parts: [...c.parts, `${key}=${formatValue(v)}`], overrides: { ...c.overrides, [key]: v } })));
  }
  return combos.map((c) => ({ label: c.parts.join(', ') || 'base', overrides: { ...spec.overrides, ...c.overrides } }));
}

export interface LoadedSweep {
  spec: SweepSpec;
  name: string;
  /** The sweep file's folder: relative paths in it resolve from here. */
  dir: string;
  jobs: SweepJob[];
}

/** Validates a parsed sweep and expands it into jobs; `source` names the file in errors. */
export function expandSweep(raw: unknown, source: string, dir = process.cwd()): LoadedSweep {
  const parsed = sweepSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new SweepError(`invalid sweep in ${source}:\n${lines.join('\n')}`);
  }
  const spec = parsed.data;
  const name = spec.name ?? path.basename(source).replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  if (!NAME_PATTERN.test(name)) throw new SweepError(`invalid sweep in ${source}: give it a 'name' (letters, digits, '.', '_', '-')`);
  const base = /\.ya?ml$/.test(spec.base) || spec.base.includes('/') ? path.resolve(dir, spec.base) : spec.base;
  const baseName = path.basename(base).replace(/\.ya?ml$/, '');
  const jobs: SweepJob[] = [];
  const seen = new Map<string, string>();
  for (const c of configurations(spec)) {
    for (const seed of spec.seeds) {
      let config: RunConfig;
      try {
        config = loadConfig(base, { ...nestOverrides(c.overrides), seed });
      } catch (e) {
        if (e instanceof ConfigError || e instanceof SweepError) {
          throw new SweepError(`invalid sweep in ${source}: configuration '${c.label}' (seed ${seed}) — ${e.message}`);
        }
        throw e;
      }
      const hash = configHash(config);
      const id = `${name}.${hash}.s${seed}`;
      const twin = seen.get(id);
      if (twin !== undefined) throw new SweepError(`invalid sweep in ${source}: configurations '${twin}' and '${c.label}' train the same config (seed ${seed})`);
      seen.set(id, c.label);
      jobs.push({ id, sweep: name, label: c.label, configHash: hash, seed, overrides: c.overrides, config, base: baseName, metrics: spec.metrics, evalN: spec.evalN, retries: spec.retries });
    }
  }
  return { spec, name, dir, jobs };
}

/** Reads a sweep.yaml; errors name the file and the field. */
export function loadSweep(file: string): LoadedSweep {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new SweepError(`sweep file not found: ${abs}`);
  const raw = parseYaml(fs.readFileSync(abs, 'utf8'), path.basename(abs));
  return expandSweep(raw, path.basename(abs), path.dirname(abs));
}
