/** `gantry eval`: one JSON object of metrics whose keys carry their protocol. */
import { isToyName } from '../data/toy.ts';
import { readSamples } from '../metrics/samples_io.ts';
import { openRun } from '../train/run.ts';

// Kept here (not imported from evaluate.ts) so that argument errors come before TensorFlow.js loads.
const IMAGE_METRICS = ['fid', 'kid', 'is', 'pr', 'dc', 'conf', 'stacked', 'acc', 'paired'];

export async function evalCommand(run: string | undefined, o: Record<string, unknown>): Promise<Record<string, unknown>> {
  let metrics = String(o.metrics ?? 'auto').split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = metrics.filter((m) => m !== 'modes' && m !== 'auto' && !IMAGE_METRICS.includes(m));
  if (unknown.length) throw new Error(`unknown metric(s) ${unknown.join(', ')}; choose from modes, ${IMAGE_METRICS.join(', ')}`);
  const ref = String(o.ref ?? 'test');
  if (ref !== 'test' && ref !== 'train') throw new Error(`--ref must be 'test' or 'train', got '${ref}'`);
  const seed = Number(o.seed ?? 0);
  const dataDir = o.dataDir === undefined ? undefined : String(o.dataDir);
  const { evaluate, realVsReal, DEFAULT_IMAGE_METRICS } = await import('../metrics/evaluate.ts');
  const { evaluateImages, evaluateToy } = await import('../metrics/run_eval.ts');
  if (metrics.includes('auto') && (o.realVsReal || o.samples)) metrics = [...DEFAULT_IMAGE_METRICS];
  if (o.realVsReal) {
    if (!o.dataset) throw new Error('--real-vs-real needs --dataset');
    return realVsReal(o.dataset as never, Number(o.n ?? 10000), { metrics: metrics.filter((m) => m !== 'modes'), seed, dataDir });
  }
  if (o.samples) {
    if (!o.dataset) throw new Error('--samples needs --dataset (mnist, fashion-mnist, cifar10) to pick the reference and feature network');
    const s = readSamples(String(o.samples));
    const n = Math.min(s.count, Number(o.n ?? s.count));
    return evaluate({ metrics, samples: s.x, count: n, shape: s.shape, dataset: o.dataset as never, ref: ref as 'test' | 'train', n, seed, dataDir });
  }
  if (!run) throw new Error('give a run folder, or --samples PATH --dataset NAME, or --real-vs-real --dataset NAME');
  const { cfg, trainer, step } = await openRun(run);
  try {
    if (cfg.model.family === 'pix2pix') {
      // Paired translation: outputs against their ground truth, the trivial baselines, FID/KID where a feature net applies.
      const { evaluatePaired, pairedFeatureDataset } = await import('../metrics/paired_eval.ts');
      if (metrics.includes('auto')) metrics = pairedFeatureDataset(cfg) ? ['paired', 'fid', 'kid'] : ['paired'];
      return { run, step, ...(await evaluatePaired(trainer, cfg, { metrics, n: Number(o.n ?? 1000), split: ref as 'test' | 'train', seed })) };
    }
    if (metrics.includes('paired')) throw new Error(`'paired' metrics need a paired translation run (pix2pix); ${run} is a ${cfg.model.family} run`);
    const toy = isToyName(cfg.data.name);
    // 'auto': mode counting where modes are known, the image metrics elsewhere.
    const conditional = trainer.numClasses > 0;
    if (metrics.includes('auto')) {
      metrics = toy ? ['modes'] : cfg.data.name === 'stacked-mnist' ? ['stacked'] : [...DEFAULT_IMAGE_METRICS];
      // Conditional runs also report how often the feature net agrees with the asked class.
      if (conditional) metrics.push('acc');
    }
    if (metrics.includes('acc') && !conditional) throw new Error(`run ${run} is unconditional: 'acc' needs a conditional model`);
    if (toy) {
      if (metrics.some((m) => m !== 'modes')) throw new Error(`run ${run} is on 2-D data: only 'modes' applies`);
      const n = Number(o.n ?? 2500);
      // The samples depend on --seed; training's own final eval used the run's seed (`--seed ${cfg.seed}` reproduces it).
      return { run, step, dataset: cfg.data.name, ...(await evaluateToy(trainer, cfg, n, seed + 104729)), sample_seed: seed, training_eval_seed: cfg.seed };
    }
    const result = await evaluateImages(trainer, cfg, { metrics, n: Number(o.n ?? 10000), seed, sampleSeed: seed + 1, ref: ref as 'test' | 'train' });
    return { run, step, ...result };
  } finally {
    trainer.dispose();
  }
}
