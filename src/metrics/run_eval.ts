/**
 * Evaluation of a training run's sampler while it trains and at the end: mode coverage for the 2-D toy
 * mixtures (keys as modeCoverage gives them), and for image datasets with a feature network (mnist,
 * fashion-mnist, cifar10) FID, KID and the confident / class shares of a small sample against a fixed
 * reference from the test split. Samples come from a fixed seed so successive evaluations compare.
 */
import { Rng } from '../core/rng.ts';
import { getToyMixture, isToyName } from '../data/toy.ts';
import type { RunConfig } from '../families/config.ts';
import type { RunEvaluator } from '../train/run.ts';
import type { Trainer } from '../train/trainer.ts';
import { evaluate, type EvalDataset, type EvaluateOptions, type MetricRecord } from './evaluate.ts';
import { FEATURE_DATASETS, type FeatureNetOptions } from './feature_net.ts';
import { modeCoverage } from './mode_coverage.ts';

/** Mode coverage of n samples (drawn with `seed`) from a toy run's sampler. */
export async function evaluateToy(t: Trainer, cfg: RunConfig, n = 2500, seed = cfg.seed + 104729): Promise<Record<string, number>> {
  const mix = getToyMixture(cfg.data.name);
  const pts = await t.generate(n, new Rng(seed));
  const r = modeCoverage(pts, mix.modes, mix.std);
  return { modes_covered: r.modes_covered, num_modes: r.num_modes, high_quality_pct: r.high_quality_pct, n_samples: n };
}

/** The run's data folder (cifar10 needs it; the MNIST-like sets may have one). */
export function dataDirOf(cfg: RunConfig): string | undefined {
  return 'dir' in cfg.data && typeof cfg.data.dir === 'string' ? cfg.data.dir : undefined;
}

/**
 * True when the run's sampler takes real class labels that metrics can check; false for unconditional
 * runs and for pseudo-classes (data.clusters), whose labels the sampler draws by their shares.
 */
function labelConditional(t: Trainer): boolean {
  return t.numClasses > 0 && !t.data.classShares;
}

/**
 * Image metrics of n samples from a run's sampler, drawn with `sampleSeed` (`seed` picks the reference
 * subset and KID's subsets). Conditional runs ask for every class in turn, so the class balance
 * matches the data's; pseudo-labeled runs let the sampler draw their clusters by the clusters' shares.
 */
export async function evaluateImages(
  t: Trainer,
  cfg: RunConfig,
  opts: { metrics: string[]; n: number; seed: number; sampleSeed: number } & Partial<Pick<EvaluateOptions, 'ref' | 'featureNetOptions' | 'kid'>>,
): Promise<MetricRecord> {
  const started = performance.now();
  const k = labelConditional(t) ? t.numClasses : 0;
  const labels = k > 0 ? Int32Array.from({ length: opts.n }, (_, i) => i % k) : undefined;
  const samples = await t.generate(opts.n, new Rng(opts.sampleSeed), { labels });
  const generate_seconds = (performance.now() - started) / 1000;
  const record = await evaluate({
    metrics: opts.metrics,
    samples,
    count: opts.n,
    shape: t.sampleShape,
    dataset: cfg.data.name as EvalDataset,
    ref: opts.ref ?? 'test',
    n: opts.n,
    seed: opts.seed,
    labels,
    dataDir: dataDirOf(cfg),
    featureNetOptions: opts.featureNetOptions,
    kid: opts.kid,
  });
  // What a run pays per evaluation: generating the samples and scoring them.
  return { ...record, generate_seconds, eval_seconds: (performance.now() - started) / 1000 };
}

/** Samples per periodic image evaluation: 1.5–4.4 s for the dcgan-mnist generator on 2 busy cores, as long as 3–8 steps. */
export const PERIODIC_IMAGE_N = 1000;
/** Metrics of a periodic image evaluation when the config's eval.metrics names none. */
export const PERIODIC_IMAGE_METRICS = ['fid', 'kid', 'conf'];

export interface RunEvaluatorOptions {
  /** Samples (and reference images) per image evaluation; default PERIODIC_IMAGE_N. */
  imageN?: number;
  /** Feature-net options (tests: a quick net in a temporary cache); dataDir comes from the config. */
  featureNetOptions?: Omit<FeatureNetOptions, 'dataDir'>;
  /** Progress lines (default: stderr). */
  log?: (message: string) => void;
}

/** True when the config's images are at the dataset's own size and channels, as its feature net needs. */
function nativeImages(cfg: RunConfig): boolean {
  const d = cfg.data as { imageSize?: number; channels?: number };
  return d.imageSize === undefined && d.channels === undefined;
}

/**
 * Periodic image evaluation: FID/KID against a fixed PERIODIC_IMAGE_N-image test reference (its features
 * are cached in memory across calls by evaluate) and the confident / class shares, on the same
 * sample seed each time. KID uses 10 subsets of half the samples: with subsets as large as the sets
 * every subset would be the same and the std 0. Keys carry the protocol (`fid1k_test_mnistnet`, …).
 */
function imageEvaluator(cfg: RunConfig, opts: RunEvaluatorOptions): RunEvaluator {
  const n = opts.imageN ?? PERIODIC_IMAGE_N;
  const metrics = cfg.eval.metrics.length ? cfg.eval.metrics : PERIODIC_IMAGE_METRICS;
  // On a terminal the progress bar holds the line: start a fresh one.
  const log = opts.log ?? ((m: string) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}${m}\n`));
  let first = true;
  return async (t, c) => {
    const started = performance.now();
    if (first) {
      log(`gantry: evaluating ${n} samples (${metrics.join(', ')}) at step ${t.step}; the first evaluation trains the ${c.data.name} feature network once if it is not cached (about 1–2 min on 2 cores)`);
    }
    const asked = labelConditional(t) && !metrics.includes('acc') ? [...metrics, 'acc'] : metrics;
    const r = await evaluateImages(t, c, {
      metrics: asked,
      n,
      // The same reference images for every run (seed 0), the same latents at every step of this one.
      seed: 0,
      sampleSeed: c.seed + 104729,
      kid: { subsets: 10, subsetSize: Math.max(2, Math.floor(n / 2)) },
      featureNetOptions: { ...opts.featureNetOptions, log: (m) => log(`gantry: ${m}`) },
    });
    if (first) log(`gantry: first evaluation took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    first = false;
    // Only numbers go into the eval line: the feature net is named in the keys, the dataset is in the config.
    return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number'));
  };
}

/** A CycleGAN run between two image domains (the toy ring → grid one has no stored splits to translate). */
function imageUnpaired(cfg: RunConfig): boolean {
  const d = cfg.data as { name: string; a?: { name: string }; b?: { name: string } };
  return cfg.model.family === 'cyclegan' && d.name === 'unpaired' && !isToyName(d.a!.name) && !isToyName(d.b!.name);
}

/**
 * Periodic evaluation of a CycleGAN run between image domains: label preservation, cycle error and FID
 * both ways on the first `imageN` test images of each domain (the same images each time).
 */
function unpairedEvaluator(opts: RunEvaluatorOptions): RunEvaluator {
  return async (t, c) => {
    const { defaultUnpairedMetrics, evaluateUnpaired } = await import('./unpaired_eval.ts');
    const r = await evaluateUnpaired(t, c, { metrics: defaultUnpairedMetrics(c).filter((m) => m !== 'kid'), n: opts.imageN ?? PERIODIC_IMAGE_N, split: 'test', seed: 0, featureNetOptions: opts.featureNetOptions });
    return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number'));
  };
}

/** Periodic evaluation of a super-resolution run: Y-PSNR/SSIM beside bicubic on the first `imageN` test images. */
function srEvaluator(opts: RunEvaluatorOptions): RunEvaluator {
  return async (t, c) => {
    const { evaluateSr } = await import('./sr_eval.ts');
    const r = await evaluateSr(t, c, { metrics: ['sr'], n: opts.imageN ?? PERIODIC_IMAGE_N, split: 'test', seed: 0 });
    return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number'));
  };
}

/**
 * Periodic evaluation of an inpainting run: hole and whole-image PSNR/SSIM (and FID where a feature net
 * applies) of the generator alone on the first `imageN` test images with their fixed centre and box masks
 * (the baselines do not change while training: `gantry eval RUN` scores them).
 */
function inpaintEvaluator(opts: RunEvaluatorOptions): RunEvaluator {
  return async (t, c) => {
    const { defaultInpaintMetrics, evaluateInpaint } = await import('./inpaint_eval.ts');
    const r = await evaluateInpaint(t, c, { metrics: defaultInpaintMetrics(c), n: opts.imageN ?? PERIODIC_IMAGE_N, split: 'test', seed: 0, baselines: false, featureNetOptions: opts.featureNetOptions });
    return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number'));
  };
}

/** Periodic evaluation of a text-to-image run on shapes: attribute accuracy and R-precision on the first `imageN` captions of both test splits. */
function t2iEvaluator(opts: RunEvaluatorOptions): RunEvaluator {
  return async (t, c) => {
    const { evaluateT2i } = await import('./t2i_eval.ts');
    const r = await evaluateT2i(t, c, { metrics: ['rprec', 'attr'], n: opts.imageN ?? PERIODIC_IMAGE_N, seed: 0 });
    return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === 'number' && e[0] !== 'sample_seed'));
  };
}

/** The evaluator `gantry train` runs for a config (none for data without a cheap in-training metric). */
export function runEvaluator(cfg: RunConfig, opts: RunEvaluatorOptions = {}): RunEvaluator | undefined {
  if (isToyName(cfg.data.name)) return (t, c) => evaluateToy(t, c, c.eval.n);
  if (cfg.eval.every > 0 && imageUnpaired(cfg)) return unpairedEvaluator(opts);
  if (cfg.eval.every > 0 && cfg.model.family === 'srgan') return srEvaluator(opts);
  if (cfg.eval.every > 0 && cfg.model.family === 'inpaint') return inpaintEvaluator(opts);
  if (cfg.eval.every > 0 && cfg.model.family === 't2i' && cfg.data.name === 'shapes') return t2iEvaluator(opts);
  // Only families with a sampler generate images; resized or recoloured data no longer fits the feature net.
  // Image runs are evaluated only when asked (eval.every > 0): the first evaluation may train the dataset's
  // feature network (1–2 minutes on a fresh machine).
  if (cfg.eval.every > 0 && (FEATURE_DATASETS as readonly string[]).includes(cfg.data.name) && cfg.model.family !== 'classifier' && nativeImages(cfg)) {
    return imageEvaluator(cfg, opts);
  }
  return undefined;
}

/**
 * `gantry eval RUN`: the run's sampler measured with `metrics` ('auto': mode counting where modes are
 * known, Stacked MNIST's mode count, else the default image metrics, plus class agreement for conditional
 * runs). Samples depend on `seed`; training's own final eval used the run's seed.
 */
export async function evaluateRun(run: string, opts: { metrics: string[]; n?: number; seed: number; ref: 'test' | 'train'; peer?: string }): Promise<Record<string, unknown>> {
  const { openRun } = await import('../train/run.ts');
  const { DEFAULT_IMAGE_METRICS } = await import('./evaluate.ts');
  let metrics = opts.metrics;
  const { cfg, trainer, step } = await openRun(run);
  try {
    if (cfg.model.family === 'pix2pix') {
      // Paired translation: outputs against their ground truth, the trivial baselines, FID/KID where a feature net applies.
      const { evaluatePaired, pairedFeatureDataset } = await import('./paired_eval.ts');
      if (metrics.includes('auto')) metrics = pairedFeatureDataset(cfg) ? ['paired', 'fid', 'kid'] : ['paired'];
      return { run, step, ...(await evaluatePaired(trainer, cfg, { metrics, n: opts.n ?? 1000, split: opts.ref, seed: opts.seed })) };
    }
    if (cfg.model.family === 'srgan') {
      const { defaultSrMetrics, evaluateSr } = await import('./sr_eval.ts');
      if (metrics.includes('auto')) metrics = defaultSrMetrics(cfg);
      return { run, step, ...(await evaluateSr(trainer, cfg, { metrics, n: opts.n ?? 1000, split: opts.ref, seed: opts.seed, peer: opts.peer })) };
    }
    if (cfg.model.family === 't2i') {
      // Text-to-image: one sample per test caption; R-precision, and on shapes the attribute judge and FID/KID.
      const { evaluateT2i, T2I_METRICS } = await import('./t2i_eval.ts');
      if (metrics.includes('auto')) metrics = [...T2I_METRICS];
      return { run, step, ...(await evaluateT2i(trainer, cfg, { metrics, n: opts.n ?? 1000, seed: opts.seed, log: (m) => process.stderr.write(`${m}\n`) })) };
    }
    if (opts.peer) throw new Error(`--peer compares super-resolution models; ${run} is a ${cfg.model.family} run`);
    if (cfg.model.family === 'inpaint') {
      // Inpainting: completions on the split's fixed centre and box masks against the originals, beside the mean and diffusion fills.
      const { defaultInpaintMetrics, evaluateInpaint } = await import('./inpaint_eval.ts');
      if (metrics.includes('auto')) metrics = defaultInpaintMetrics(cfg);
      return { run, step, ...(await evaluateInpaint(trainer, cfg, { metrics, n: opts.n ?? 1000, split: opts.ref, seed: opts.seed })) };
    }
    if (imageUnpaired(cfg)) {
      const { defaultUnpairedMetrics, evaluateUnpaired } = await import('./unpaired_eval.ts');
      if (metrics.includes('auto')) metrics = defaultUnpairedMetrics(cfg);
      return { run, step, ...(await evaluateUnpaired(trainer, cfg, { metrics, n: opts.n ?? 1000, split: opts.ref, seed: opts.seed })) };
    }
    if (metrics.includes('inpaint')) throw new Error(`'inpaint' metrics need an inpainting run; ${run} is a ${cfg.model.family} run`);
    if (metrics.includes('paired')) throw new Error(`'paired' metrics need a paired translation run (pix2pix); ${run} is a ${cfg.model.family} run`);
    const toy = isToyName(cfg.data.name);
    const conditional = labelConditional(trainer);
    if (metrics.includes('auto')) {
      metrics = toy ? ['modes'] : cfg.data.name === 'stacked-mnist' ? ['stacked'] : [...DEFAULT_IMAGE_METRICS];
      if (conditional) metrics.push('acc');
    }
    if (metrics.includes('acc') && !conditional) throw new Error(`run ${run} is unconditional: 'acc' needs a conditional model`);
    if (toy) {
      if (metrics.some((m) => m !== 'modes')) throw new Error(`run ${run} is on 2-D data: only 'modes' applies`);
      const n = opts.n ?? 2500;
      return { run, step, dataset: cfg.data.name, ...(await evaluateToy(trainer, cfg, n, opts.seed + 104729)), sample_seed: opts.seed, training_eval_seed: cfg.seed };
    }
    const result = await evaluateImages(trainer, cfg, { metrics, n: opts.n ?? 10000, seed: opts.seed, sampleSeed: opts.seed + 1, ref: opts.ref });
    return { run, step, ...result };
  } finally {
    trainer.dispose();
  }
}
