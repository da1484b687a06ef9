/**
 * A training run on disk (layout in docs/RUN_FORMAT.md): config, status, metrics.jsonl, sample images,
 * atomic checkpoints, the exported generator. Handles exact resume and stops cleanly on NaN/Inf losses
 * without touching the last good checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeImageGrid, encodeScatter } from '../core/images.ts';
import { Rng } from '../core/rng.ts';
import type { DataSource } from '../data/dataset.ts';
import { openDataSource } from '../data/registry.ts';
import { getToyMixture, isToyName } from '../data/toy.ts';
import { parseYaml } from '../core/config.ts';
import { configToYaml, validateConfig, type RunConfig } from '../families/config.ts';
import { exportGenerator } from './export.ts';
import type { RunStatus } from './run_format.ts';

export type { RunStatus };
import { findCheckpoint, loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { acquireRunLock } from './run_lock.ts';
import { appendFileChecked, cleanTempFiles, writeFileAtomic, writeFileChecked } from '../core/fs_safe.ts';
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
  /**
   * Step budget of a resumed run (the saved budget otherwise). Below the checkpoint's step it is an error;
   * another value changes only the budget: the learning-rate schedule keeps its saved length.
   */
  steps?: number;
  /**
   * The flags a resumed run was started with besides --steps; any that would change the saved config is an
   * error naming it. `preset` is the preset or config file given (then `config` is what it resolves to).
   */
  resumeFlags?: { preset?: string; seed?: number; batchSize?: number; dataDir?: string };
  /** Train on this source instead of opening `config.data` (custom data from library code). */
  dataSource?: DataSource;
  /** Periodic (eval.every) and final evaluation; none when absent. */
  evaluator?: RunEvaluator;
  /** Notices for the user (resume extension, cleaned temporary files, torn metrics line); stderr by default. */
  log?: (message: string) => void;
  /** Save a checkpoint and stop on SIGINT/SIGTERM (the CLI); off for library callers unless asked. */
  handleSignals?: boolean;
}

/** A resumed run whose flags contradict its saved config, or another run-folder misuse. */
export class RunUsageError extends Error {
  override name = 'RunUsageError';
}

/** Training stopped by SIGINT/SIGTERM after saving a checkpoint at the current step. */
export class RunInterruptedError extends Error {
  override name = 'RunInterruptedError';
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
    readonly step: number,
  ) {
    super(message);
  }
}

export { writeFileAtomic };

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
    // Real classes get a row each; pseudo-classes (data.clusters) are drawn by their shares, like an unconditional grid.
    const k = t.data.classShares ? 0 : t.numClasses;
    const n = k > 0 ? k * 10 : 64;
    const labels = k > 0 ? Int32Array.from({ length: n }, (_, i) => Math.floor(i / 10)) : undefined;
    const imgs = await t.generate(n, new Rng(cfg.seed + 7919), { labels });
    png = encodeImageGrid(imgs, n, shape, t.data.range, k > 0 ? 10 : 8, shape[0]! < 32 ? 2 : 1);
  }
  writeFileAtomic(file, png);
  writeFileAtomic(path.join(dir, 'latest.png'), png);
  return file;
}

/** Reads and validates a run folder's config.yaml; every error names the file. */
export function readRunConfig(runDir: string): RunConfig {
  const cfgFile = path.join(runDir, 'config.yaml');
  let text: string;
  try {
    text = fs.readFileSync(cfgFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RunUsageError(`${runDir} is not a run folder: config.yaml not found`);
    throw new RunUsageError(`cannot read ${cfgFile}: ${(e as Error).message}`);
  }
  return validateConfig(parseYaml(text, cfgFile), cfgFile);
}

/** The first key path where two JSON values differ ('' when equal). */
function firstDifference(a: unknown, b: unknown, at = ''): string | null {
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return at || '(root)';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
    if (d !== null) return d;
  }
  return null;
}

function valueAt(v: unknown, keyPath: string): string {
  for (const k of keyPath.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return JSON.stringify(v) ?? 'absent';
}

/** A resumed run keeps its saved config: a flag that would change it is refused, naming the flag. */
function checkResumeFlags(saved: RunConfig, opts: TrainRunOptions, runDir: string): void {
  const f = opts.resumeFlags;
  if (!f) return;
  const refuse = (flag: string, given: unknown, was: unknown) =>
    new RunUsageError(`--resume continues ${runDir} with its saved config: ${flag} ${given} would change it (saved: ${was}); omit ${flag} to resume, or start a new run with another --out`);
  if (f.seed !== undefined && f.seed !== saved.seed) throw refuse('--seed', f.seed, saved.seed);
  if (f.batchSize !== undefined && f.batchSize !== saved.train.batchSize) throw refuse('--batch-size', f.batchSize, saved.train.batchSize);
  // A built-in paired task reads its images from its source dataset's folder (`--data-dir` goes there).
  const savedData = saved.data as { dir?: string; from?: { dir?: string } };
  const savedDir = savedData.dir ?? savedData.from?.dir;
  if (f.dataDir !== undefined && path.resolve(f.dataDir) !== (savedDir === undefined ? undefined : path.resolve(savedDir))) throw refuse('--data-dir', path.resolve(f.dataDir), savedDir ?? 'none');
  if (f.preset !== undefined) {
    // The budget is --steps' business; the other flags were compared above.
    const strip = (c: RunConfig) => ({ ...c, seed: 0, train: { ...c.train, steps: 0, batchSize: 0 }, data: { ...c.data, dir: undefined } });
    const d = firstDifference(JSON.parse(JSON.stringify(strip(saved))), JSON.parse(JSON.stringify(strip(opts.config))));
    if (d !== null) {
      throw new RunUsageError(
        `--resume continues ${runDir} with its saved config: the preset/config '${f.preset}' differs from it at ${d} (${valueAt(opts.config, d)} vs saved ${valueAt(saved, d)}); omit it to resume`,
      );
    }
  }
}

export async function trainRun(opts: TrainRunOptions): Promise<{ status: RunStatus; finalEval?: Record<string, number> }> {
  const outDir = path.resolve(opts.outDir);
  const log = opts.log ?? ((m: string) => process.stderr.write(`gantry: ${m}\n`));
  if (opts.resume && !fs.existsSync(path.join(outDir, 'config.yaml'))) {
    throw new RunUsageError(`cannot resume: ${path.join(outDir, 'config.yaml')} not found (is ${outDir} a run folder?)`);
  }
  // One writer per folder: everything below (cleaning, checks, writes) happens under the lock.
  const lock = acquireRunLock(outDir);
  try {
    const cleaned = cleanTempFiles(outDir);
    if (cleaned.length) log(`removed ${cleaned.length} temporary file(s) left by an interrupted writer: ${cleaned.map((f) => path.relative(outDir, f)).join(', ')}`);
    return await trainLocked(opts, outDir, log);
  } finally {
    lock.release();
  }
}

async function trainLocked(opts: TrainRunOptions, outDir: string, log: (m: string) => void): Promise<{ status: RunStatus; finalEval?: Record<string, number> }> {
  const ckptDir = path.join(outDir, 'checkpoints', 'latest');
  let cfg = opts.config;
  let ckpt: LoadedCheckpoint | null = null;
  let preset = opts.preset;
  // The learning-rate schedule's length: the first budget of the run, kept when a resume changes the budget.
  let scheduleSteps = cfg.train.steps;
  if (opts.resume) {
    const saved = readRunConfig(outDir);
    checkResumeFlags(saved, opts, outDir);
    if (!findCheckpoint(ckptDir)) throw new RunUsageError(`cannot resume: no checkpoint in ${ckptDir}`);
    // The checkpoint is read before the trainer is built: a family may build from its saved state.
    ckpt = loadCheckpoint(ckptDir);
    const extra = ckpt.meta.extra;
    const at = ckpt.meta.step;
    const savedTotal = typeof extra.totalSteps === 'number' ? extra.totalSteps : saved.train.steps;
    scheduleSteps = typeof extra.scheduleSteps === 'number' ? extra.scheduleSteps : saved.train.steps;
    if (typeof extra.preset === 'string') preset = extra.preset;
    const total = opts.steps ?? savedTotal;
    if (total < at) {
      Object.values(ckpt.tensors).forEach((x) => x.dispose());
      throw new RunUsageError(`--steps ${total} is below the checkpoint's step ${at} in ${ckptDir}: a run cannot go back; pass --steps ${at} or more, or omit --steps`);
    }
    if (total !== savedTotal) {
      const sched = saved.train.lrDecayFraction > 0 && saved.train.lrFinalFactor < 1
        ? `the learning-rate decay keeps its saved length of ${scheduleSteps} steps (it is not re-stretched; steps past ${scheduleSteps} train at the final rate)`
        : `the learning-rate schedule is unchanged (constant${saved.train.lrDrops.length ? ' apart from its step drops, which stay at their steps' : ''})`;
      log(`${total > savedTotal ? 'extending' : 'shortening'} the run from ${savedTotal} to ${total} steps (checkpoint at step ${at}); ${sched}`);
    }
    cfg = { ...saved, train: { ...saved.train, steps: total } };
  } else if (findCheckpoint(ckptDir)) {
    throw new RunUsageError(`${outDir} already holds a run with a checkpoint; pass --resume to continue it or choose another --out`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  writeFileAtomic(path.join(outDir, 'config.yaml'), configToYaml(cfg));
  const total = cfg.train.steps;
  // The trainer sees the schedule's own length, so a changed budget does not re-stretch the decay.
  const trainerCfg: RunConfig = { ...cfg, train: { ...cfg.train, steps: scheduleSteps } };

  const metricsFile = path.join(outDir, 'metrics.jsonl');
  let trainer: Trainer;
  try {
    const data = opts.dataSource ?? (await openDataSource(cfg.data, cfg.seed));
    if (ckpt) {
      const torn = truncateMetrics(metricsFile, ckpt.meta.step);
      if (torn) log(`${metricsFile}: ${torn}`);
    }
    trainer = ckpt ? restoreTrainer(trainerCfg, data, ckpt) : new Trainer(trainerCfg, data);
  } catch (e) {
    if (ckpt) Object.values(ckpt.tensors).forEach((x) => x.dispose());
    throw e;
  }
  let lastGoodStep = ckpt ? ckpt.meta.step : 0;
  const status: RunStatus = {
    name: path.basename(outDir),
    preset,
    state: 'running',
    step: trainer.step,
    totalSteps: total,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    dataset: cfg.data.name,
    conditional: trainer.numClasses > 0 && !trainer.data.classShares,
    numClasses: trainer.numClasses,
    backend: opts.backend ?? tf.getBackend(),
  };
  const statusFile = path.join(outDir, 'status.json');
  const writeStatus = () => {
    status.updatedAt = new Date().toISOString();
    status.step = trainer.step;
    writeFileAtomic(statusFile, JSON.stringify(status, null, 2));
  };

  // SIGINT/SIGTERM: the loop saves a checkpoint at the current step and stops; a second signal exits at once.
  let stopSignal: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGINT' ? 130 : 143;
    if (stopSignal) {
      status.state = 'interrupted';
      status.error = `stopped by a second ${sig} at step ${trainer.step}; the last checkpoint (step ${lastGoodStep}) is in ${ckptDir}`;
      writeFinalStatus(statusFile, status, log);
      log(`${sig} again: exiting now without saving. Resume from step ${lastGoodStep} with: gantry train --out ${outDir} --resume`);
      process.exit(code);
    }
    stopSignal = sig;
    log(`${sig} received: saving a checkpoint at step ${trainer.step}, then stopping (press Ctrl-C again to exit at once)`);
  };
  if (opts.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const t0 = Date.now();
  const { logEvery, sampleEvery, checkpointEvery } = cfg.train;
  const saveNow = async () => {
    const s = trainer.step;
    if (!(await trainer.weightsFinite())) {
      throw new TrainingDivergedError(`training diverged: weights are not finite at step ${s}. The last good checkpoint (step ${lastGoodStep}) is intact in ${ckptDir}.`);
    }
    await saveCheckpoint(ckptDir, s, trainer.stateTensors(), { random: trainer.randomState(), family: trainer.familyJson(), preset, totalSteps: total, scheduleSteps });
    lastGoodStep = s;
    writeStatus();
  };
  let finalEval: Record<string, number> | undefined;
  try {
    writeStatus();
    opts.progress?.start(total, trainer.step);
    const appendMetrics = (obj: Record<string, unknown>) => appendFileChecked(metricsFile, JSON.stringify(obj) + '\n');
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
      if (checkpointNow) await saveNow();
      // Lets a pending SIGINT/SIGTERM handler run: the training step itself never yields to the event loop.
      if (opts.handleSignals) await new Promise<void>((r) => setImmediate(r));
      if (stopSignal) {
        const sig: NodeJS.Signals = stopSignal;
        if (lastGoodStep !== trainer.step) await saveNow();
        status.state = 'interrupted';
        writeStatus();
        throw new RunInterruptedError(
          `interrupted by ${sig} at step ${trainer.step} of ${total}; checkpoint saved in ${ckptDir}. Resume with: gantry train --out ${outDir} --resume`,
          sig,
          trainer.step,
        );
      }
    }
    if (opts.evaluator) {
      finalEval = await opts.evaluator(trainer, cfg);
      appendMetrics({ step: trainer.step, kind: 'eval', time: new Date().toISOString(), ...finalEval });
    }
    if (trainer.family.sampler) await exportGenerator(path.join(outDir, 'export'), trainer, { preset, dataset: cfg.data.name });
    status.state = 'done';
    writeStatus();
    return { status, finalEval };
  } catch (e) {
    if (!(e instanceof RunInterruptedError)) {
      status.state = 'failed';
      status.error = (e as Error).message;
      writeFinalStatus(statusFile, status, log);
    }
    // A failed write may leave a temporary file (checkpoint, export, status); the next start would clean it too.
    cleanTempFiles(outDir);
    throw e;
  } finally {
    if (opts.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    opts.progress?.stop();
    trainer.dispose();
  }
}

/**
 * The final status must not stay "running": written atomically when the disk allows, else overwritten in
 * place (reusing the file's blocks works on a full disk as long as the new text is not longer).
 */
function writeFinalStatus(file: string, status: RunStatus, log: (m: string) => void): void {
  status.updatedAt = new Date().toISOString();
  try {
    writeFileAtomic(file, JSON.stringify(status, null, 2));
    return;
  } catch {
    // fall through to the in-place write
  }
  try {
    const size = fs.statSync(file).size;
    let text = JSON.stringify(status);
    if (text.length > size && status.error) text = JSON.stringify({ ...status, error: status.error.slice(0, Math.max(0, status.error.length - (text.length - size))) });
    writeFileChecked(file, text.padEnd(size, ' '), { flag: 'r+' });
  } catch (e) {
    log(`could not record the final state '${status.state}' in ${file}: ${(e as Error).message}`);
  }
}

/**
 * On resume, drop metric lines written after the checkpoint so the log matches the restored state. A torn
 * last line (a crash or a full disk mid-append) is dropped too; returns a notice when it was. A damaged line
 * elsewhere is an error naming the file and line.
 */
export function truncateMetrics(file: string, step: number): string | null {
  if (!fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const kept: string[] = [];
  let notice: string | null = null;
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(l);
    } catch (e) {
      const isLast = lines.slice(i + 1).every((r) => !r.trim());
      if (isLast) {
        notice = `dropped a torn last line (line ${i + 1}, ${l.length} bytes: a write cut short by a crash or a full disk)`;
        return;
      }
      throw new RunUsageError(`cannot resume: ${file} line ${i + 1} is not JSON (${(e as Error).message}); fix or delete that line`);
    }
    const s = (obj as { step?: unknown } | null)?.step;
    if (typeof s !== 'number') throw new RunUsageError(`cannot resume: ${file} line ${i + 1} has no numeric "step"`);
    if (s <= step) kept.push(l);
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
  return notice;
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
  const cfg = readRunConfig(runDir);
  const data = await openDataSource(cfg.data, cfg.seed);
  const ckpt = loadCheckpoint(path.join(runDir, 'checkpoints', 'latest'));
  const trainer = restoreTrainer(cfg, data, ckpt);
  return { cfg, trainer, step: ckpt.meta.step };
}
