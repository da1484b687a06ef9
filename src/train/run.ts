/**
 * A training run on disk (layout in docs/RUN_FORMAT.md): config, status, metrics.jsonl, sample images,
 * atomic checkpoints, the exported generator. Handles exact resume and stops cleanly on NaN/Inf losses
 * without touching the last good checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import YAML from 'yaml';
import { encodeImageGrid, encodeScatter } from '../core/images.ts';
import { Rng } from '../core/rng.ts';
import type { DataSource } from '../data/dataset.ts';
import { openDataSource } from '../data/registry.ts';
import { getToyMixture, isToyName } from '../data/toy.ts';
import { configToYaml, validateConfig, type RunConfig } from '../families/config.ts';
import { exportGenerator } from './export.ts';
import type { RunStatus } from './run_format.ts';

export type { RunStatus };
import { findCheckpoint, loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { Trainer, disposeLosses, type TrainerRandomState } from './trainer.ts';

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export interface ProgressReporter {
  start(total: number, startStep: number): void;
  update(step: number, info: Record<string, number>): void;
  stop(): void;
}

/** Evaluation run during and at the end of training (e.g. mode coverage on 2-D data); keys carry the protocol. */
export type RunEvaluator = (t: Trainer, cfg: RunConfig) => Promise<Record<string, number>>;

export interface TrainRunOptions {
  config: RunConfig;
  preset: string;
  outDir: string;
  resume?: boolean;
  progress?: ProgressReporter;
  backend?: string;
  /** Raise or lower the step budget of a resumed run (the saved config's budget otherwise). */
  steps?: number;
  /** Train on this source instead of opening `config.data` (custom data from library code). */
  dataSource?: DataSource;
  /** Periodic (eval.every) and final evaluation; none when absent. */
  evaluator?: RunEvaluator;
}

export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** The 2-D mixture samples are drawn toward (the data itself, or the target domain of a translation). */
export function toyTarget(cfg: RunConfig): string | null {
  const d = cfg.data as { name: string; b?: { name: string } };
  if (isToyName(d.name)) return d.name;
  if (d.b && isToyName(d.b.name)) return d.b.name;
  return null;
}

/** Fixed latents (and labels: one row per class) so successive sample grids are comparable. */
async function writeSamples(t: Trainer, cfg: RunConfig, dir: string): Promise<string | null> {
  if (!t.family.sampler) return null;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `step_${String(t.step).padStart(6, '0')}.png`);
  let png: Buffer;
  const shape = t.sampleShape;
  if (shape.length === 1) {
    const toy = toyTarget(cfg);
    const pts = await t.generate(2500, new Rng(cfg.seed + 7919));
    png = encodeScatter(pts, toy ? getToyMixture(toy).modes : [], t.data.range);
  } else {
    const k = t.numClasses;
    const n = k > 0 ? k * 10 : 64;
    const labels = k > 0 ? Int32Array.from({ length: n }, (_, i) => Math.floor(i / 10)) : undefined;
    const imgs = await t.generate(n, new Rng(cfg.seed + 7919), { labels });
    png = encodeImageGrid(imgs, n, shape, t.data.range, k > 0 ? 10 : 8, shape[0]! < 32 ? 2 : 1);
  }
  writeFileAtomic(file, png);
  writeFileAtomic(path.join(dir, 'latest.png'), png);
  return file;
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
  // The checkpoint is read before the trainer is built: a family may build from its saved state.
  const ckpt = opts.resume ? loadCheckpoint(ckptDir) : null;
  const trainer = ckpt ? restoreTrainer(cfg, data, ckpt) : new Trainer(cfg, data);
  const metricsFile = path.join(outDir, 'metrics.jsonl');
  let lastGoodStep = 0;
  if (ckpt) {
    lastGoodStep = ckpt.meta.step;
    truncateMetrics(metricsFile, ckpt.meta.step);
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
      if (opts.evaluator && cfg.eval.every > 0 && s % cfg.eval.every === 0 && !last) {
        appendMetrics({ step: s, kind: 'eval', time: new Date().toISOString(), ...(await opts.evaluator(trainer, cfg)) });
      }
      if (checkpointNow) {
        if (!(await trainer.weightsFinite())) {
          throw new TrainingDivergedError(`training diverged: weights are not finite at step ${s}. The last good checkpoint (step ${lastGoodStep}) is intact in ${ckptDir}.`);
        }
        await saveCheckpoint(ckptDir, s, trainer.stateTensors(), { random: trainer.randomState(), family: trainer.familyJson(), preset: opts.preset });
        lastGoodStep = s;
        writeStatus();
      }
    }
    if (opts.evaluator) {
      finalEval = await opts.evaluator(trainer, cfg);
      appendMetrics({ step: trainer.step, kind: 'eval', time: new Date().toISOString(), ...finalEval });
    }
    if (trainer.family.sampler) await exportGenerator(path.join(outDir, 'export'), trainer, { preset: opts.preset, dataset: cfg.data.name });
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

/** On resume, drop metric lines written after the checkpoint so the log matches the restored state. */
function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= step);
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

/** A trainer built from a checkpoint: the family sees its saved state first, then every tensor and stream is restored. */
function restoreTrainer(cfg: RunConfig, data: DataSource, ckpt: LoadedCheckpoint): Trainer {
  const { meta, tensors } = ckpt;
  const familyJson = meta.extra.family;
  let trainer: Trainer | null = null;
  try {
    trainer = new Trainer(cfg, data, { saved: { json: familyJson } });
    trainer.restoreTensors(tensors, familyJson);
    trainer.step = meta.step;
    trainer.setRandomState(meta.extra.random as TrainerRandomState);
    return trainer;
  } catch (e) {
    trainer?.dispose();
    throw e;
  } finally {
    Object.values(tensors).forEach((x) => x.dispose());
  }
}

/** Rebuilds a trainer from a run folder's config and checkpoint (for sampling and evaluation). */
export async function openRun(runDir: string): Promise<{ cfg: RunConfig; trainer: Trainer; step: number }> {
  const cfgFile = path.join(runDir, 'config.yaml');
  if (!fs.existsSync(cfgFile)) throw new Error(`${runDir} is not a run folder: config.yaml not found`);
  const cfg = validateConfig(YAML.parse(fs.readFileSync(cfgFile, 'utf8')), cfgFile);
  const data = await openDataSource(cfg.data, cfg.seed);
  const ckpt = loadCheckpoint(path.join(runDir, 'checkpoints', 'latest'));
  const trainer = restoreTrainer(cfg, data, ckpt);
  return { cfg, trainer, step: ckpt.meta.step };
}
