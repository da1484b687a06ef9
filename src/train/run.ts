/**
 * A training run on disk (layout in docs/RUN_FORMAT.md): config, status, metrics.jsonl, sample images,
 * atomic checkpoints, the exported generator. Handles exact resume and stops cleanly on NaN/Inf losses
 * without touching the last good checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import YAML from 'yaml';
import { configToYaml, validateConfig, type GanConfig } from '../core/config.ts';
import { encodeImageGrid, encodeScatter } from '../core/images.ts';
import { Rng } from '../core/rng.ts';
import type { DataSource } from '../data/dataset.ts';
import { openDataSource } from '../data/registry.ts';
import { getToyMixture, isToyName } from '../data/toy.ts';
import { modeCoverage } from '../metrics/mode_coverage.ts';
import { exportGenerator } from './export.ts';
import { findCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { GanTrainer, disposeLosses, type TrainerRandomState } from './gan_trainer.ts';

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export interface ProgressReporter {
  start(total: number, startStep: number): void;
  update(step: number, info: Record<string, number>): void;
  stop(): void;
}

export interface TrainRunOptions {
  config: GanConfig;
  preset: string;
  outDir: string;
  resume?: boolean;
  progress?: ProgressReporter;
  backend?: string;
  /** Raise or lower the step budget of a resumed run (the saved config's budget otherwise). */
  steps?: number;
  /** Train on this source instead of opening `config.data` (custom data from library code). */
  dataSource?: DataSource;
}

export interface RunStatus {
  name: string;
  preset: string;
  state: 'running' | 'done' | 'failed';
  step: number;
  totalSteps: number;
  startedAt: string;
  updatedAt: string;
  dataset: string;
  conditional: boolean;
  numClasses: number;
  backend?: string;
  error?: string;
}

export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Everything the trainer holds, as named tensors (not copies: do not dispose). */
function stateTensors(t: GanTrainer): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const net of [t.G, t.D, t.Gema]) for (const v of net?.variables() ?? []) out[v.name] = v;
  for (const [k, v] of Object.entries(t.optG.getState())) out[`optG/${k}`] = v;
  for (const [k, v] of Object.entries(t.optD.getState())) out[`optD/${k}`] = v;
  return out;
}

function restoreState(t: GanTrainer, tensors: Record<string, tf.Tensor>): void {
  for (const net of [t.G, t.D, t.Gema]) {
    for (const v of net?.variables() ?? []) {
      const src = tensors[v.name];
      if (!src) throw new Error(`checkpoint lacks variable ${v.name}: it was made with a different model`);
      if (src.shape.join() !== v.shape.join()) throw new Error(`checkpoint variable ${v.name} has shape [${src.shape}], model needs [${v.shape}]`);
      v.assign(src);
    }
  }
  const pick = (prefix: string) =>
    Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  t.optG.setState(pick('optG/'));
  t.optD.setState(pick('optD/'));
}

/** Fixed latents (and labels: one row per class) so successive sample grids are comparable. */
async function writeSamples(t: GanTrainer, cfg: GanConfig, dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `step_${String(t.step).padStart(6, '0')}.png`);
  let png: Buffer;
  if (isToyName(cfg.data.name)) {
    const mix = getToyMixture(cfg.data.name);
    const pts = await t.generate(2500, new Rng(cfg.seed + 7919));
    png = encodeScatter(pts, mix.modes, t.data.range);
  } else {
    const k = t.numClasses;
    const n = k > 0 ? k * 10 : 64;
    const labels = k > 0 ? Int32Array.from({ length: n }, (_, i) => Math.floor(i / 10)) : undefined;
    const imgs = await t.generate(n, new Rng(cfg.seed + 7919), { labels });
    png = encodeImageGrid(imgs, n, t.data.shape, t.data.range, k > 0 ? 10 : 8, t.data.shape[0]! < 32 ? 2 : 1);
  }
  writeFileAtomic(file, png);
  writeFileAtomic(path.join(dir, 'latest.png'), png);
  return file;
}

/** Evaluation that runs at the end of training (and every eval.every steps): mode coverage on 2-D data. */
export async function evaluateToy(t: GanTrainer, cfg: GanConfig, n = 2500, seed = cfg.seed + 104729): Promise<Record<string, number>> {
  const mix = getToyMixture(cfg.data.name);
  const pts = await t.generate(n, new Rng(seed));
  const r = modeCoverage(pts, mix.modes, mix.std);
  return { modes_covered: r.modes_covered, num_modes: r.num_modes, high_quality_pct: r.high_quality_pct, n_samples: n };
}

export async function trainRun(opts: TrainRunOptions): Promise<{ status: RunStatus; finalEval?: Record<string, number> }> {
  const outDir = path.resolve(opts.outDir);
  const ckptDir = path.join(outDir, 'checkpoints', 'latest');
  let cfg = opts.config;
  if (opts.resume) {
    const cfgFile = path.join(outDir, 'config.yaml');
    if (!fs.existsSync(cfgFile)) throw new Error(`cannot resume: ${cfgFile} not found (is ${outDir} a run folder?)`);
    const saved = validateConfig(YAML.parse(fs.readFileSync(cfgFile, 'utf8')), cfgFile);
    // A resumed run keeps its saved config; only the step budget may change.
    cfg = { ...saved, train: { ...saved.train, steps: opts.steps ?? saved.train.steps } };
    if (!findCheckpoint(ckptDir)) throw new Error(`cannot resume: no checkpoint in ${ckptDir}`);
  } else if (findCheckpoint(ckptDir)) {
    throw new Error(`${outDir} already holds a run with a checkpoint; pass --resume to continue it or choose another --out`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  writeFileAtomic(path.join(outDir, 'config.yaml'), configToYaml(cfg));

  const data = opts.dataSource ?? (await openDataSource(cfg.data, cfg.seed));
  const trainer = new GanTrainer(cfg, data);
  const metricsFile = path.join(outDir, 'metrics.jsonl');
  let lastGoodStep = 0;
  if (opts.resume) {
    const { meta, tensors } = loadCheckpoint(ckptDir);
    restoreState(trainer, tensors);
    Object.values(tensors).forEach((x) => x.dispose());
    trainer.step = meta.step;
    trainer.setRandomState(meta.extra.random as TrainerRandomState);
    lastGoodStep = meta.step;
    truncateMetrics(metricsFile, meta.step);
  }
  const status: RunStatus = {
    name: path.basename(outDir),
    preset: opts.preset,
    state: 'running',
    step: trainer.step,
    totalSteps: cfg.train.steps,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    dataset: cfg.data.name,
    conditional: trainer.numClasses > 0,
    numClasses: trainer.numClasses,
    backend: opts.backend ?? tf.getBackend(),
  };
  const writeStatus = () => {
    status.updatedAt = new Date().toISOString();
    status.step = trainer.step;
    writeFileAtomic(path.join(outDir, 'status.json'), JSON.stringify(status, null, 2));
  };
  writeStatus();

  const t0 = Date.now();
  const total = cfg.train.steps;
  const { logEvery, sampleEvery, checkpointEvery } = cfg.train;
  opts.progress?.start(total, trainer.step);
  const appendMetrics = (obj: Record<string, unknown>) => fs.appendFileSync(metricsFile, JSON.stringify(obj) + '\n');
  let finalEval: Record<string, number> | undefined;
  try {
    if (trainer.step === 0) await writeSamples(trainer, cfg, path.join(outDir, 'samples'));
    while (trainer.step < total) {
      const losses = trainer.trainStep();
      const s = trainer.step;
      const last = s === total;
      const checkpointNow = s % checkpointEvery === 0 || last;
      if (s % logEvery === 0 || checkpointNow) {
        const values: Record<string, number> = {};
        for (const [k, v] of Object.entries(losses)) values[k] = (await v.data())[0]!;
        disposeLosses(losses);
        const bad = Object.entries(values).find(([, v]) => !Number.isFinite(v));
        if (bad) {
          throw new TrainingDivergedError(
            `training diverged: ${bad[0]} is ${bad[1]} at step ${s}. The last good checkpoint (step ${lastGoodStep}) is intact in ${ckptDir}. ` +
              'Try a lower learning rate or a regularizer.',
          );
        }
        // Resident memory and live tensors ride along, so a long run shows whether memory stays flat.
        const rss_mb = Math.round(process.memoryUsage.rss() / 2 ** 20);
        appendMetrics({ step: s, time: new Date().toISOString(), elapsed_s: +((Date.now() - t0) / 1000).toFixed(3), rss_mb, num_tensors: tf.memory().numTensors, ...values });
        opts.progress?.update(s, values);
      } else {
        disposeLosses(losses);
      }
      if (s % sampleEvery === 0 || last) await writeSamples(trainer, cfg, path.join(outDir, 'samples'));
      if (cfg.eval.every > 0 && s % cfg.eval.every === 0 && !last && isToyName(cfg.data.name)) {
        appendMetrics({ step: s, kind: 'eval', time: new Date().toISOString(), ...(await evaluateToy(trainer, cfg)) });
      }
      if (checkpointNow) {
        await assertFiniteWeights(trainer, s, lastGoodStep, ckptDir);
        await saveCheckpoint(ckptDir, s, stateTensors(trainer), { random: trainer.randomState(), preset: opts.preset });
        lastGoodStep = s;
        writeStatus();
      }
    }
    if (isToyName(cfg.data.name)) {
      finalEval = await evaluateToy(trainer, cfg);
      appendMetrics({ step: trainer.step, kind: 'eval', time: new Date().toISOString(), ...finalEval });
    }
    await exportGenerator(path.join(outDir, 'export'), trainer, { preset: opts.preset, dataset: cfg.data.name });
    status.state = 'done';
    writeStatus();
    return { status, finalEval };
  } catch (e) {
    status.state = 'failed';
    status.error = (e as Error).message;
    writeStatus();
    throw e;
  } finally {
    opts.progress?.stop();
    trainer.dispose();
  }
}

async function assertFiniteWeights(t: GanTrainer, step: number, lastGood: number, ckptDir: string): Promise<void> {
  const sum = tf.tidy(() => tf.addN([...t.G.trainable, ...t.D.trainable].map((v) => tf.sum(tf.abs(v)))));
  const v = (await sum.data())[0]!;
  sum.dispose();
  if (!Number.isFinite(v)) {
    throw new TrainingDivergedError(`training diverged: weights are not finite at step ${step}. The last good checkpoint (step ${lastGood}) is intact in ${ckptDir}.`);
  }
}

/** On resume, drop metric lines written after the checkpoint so the log matches the restored state. */
function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= step);
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

/** Rebuilds a trainer from a run folder's config and checkpoint (for sampling and evaluation). */
export async function openRun(runDir: string): Promise<{ cfg: GanConfig; trainer: GanTrainer; step: number }> {
  const cfgFile = path.join(runDir, 'config.yaml');
  if (!fs.existsSync(cfgFile)) throw new Error(`${runDir} is not a run folder: config.yaml not found`);
  const cfg = validateConfig(YAML.parse(fs.readFileSync(cfgFile, 'utf8')), cfgFile);
  const data = await openDataSource(cfg.data, cfg.seed);
  const trainer = new GanTrainer(cfg, data);
  const { meta, tensors } = loadCheckpoint(path.join(runDir, 'checkpoints', 'latest'));
  try {
    restoreState(trainer, tensors);
  } finally {
    Object.values(tensors).forEach((x) => x.dispose());
  }
  trainer.step = meta.step;
  return { cfg, trainer, step: meta.step };
}
