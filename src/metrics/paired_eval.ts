/**
 * `gantry eval` for paired translation runs (pix2pix): the first n pairs of a split are translated by the
 * run's generator (inference mode: no dropout) and scored against their ground truth with L1, PSNR and
 * SSIM (paired.ts), beside the two trivial baselines on the same images — the input itself (gray inputs
 * replicated to the target's 3 channels; absent when the input has more channels than the target) and the
 * mean training target image — and, where a feature network exists for the target images (a built-in
 * task on mnist, fashion-mnist or cifar10 at their own size), FID/KID of the outputs against real
 * images of that split. Keys carry the protocol: `psnr_test1k` (mean per-image PSNR), `psnr_pooled_test1k`
 * (PSNR of the pooled MSE), `psnr_test1k_input`,
 * `psnr_test1k_meantarget`, `fid1k_test_fashionnet`.
 */
import { Rng } from '../core/rng.ts';
import { imageSetToUnit, sampleSize } from '../data/dataset.ts';
import { loadPairedEvalSet, pairedTargetDataset } from '../data/registry.ts';
import type { RunConfig } from '../families/config.ts';
import type { Trainer } from '../train/trainer.ts';
import { evaluate, type MetricRecord } from './evaluate.ts';
import { FEATURE_DATASETS, type FeatureNetOptions } from './feature_net.ts';
import { meanImage, pairedScores, repeatImage, type PairedScores } from './paired.ts';

export const PAIRED_METRICS = ['paired', 'fid', 'kid'] as const;

/** A sample count as metric keys write it: 1000 → '1k', 250 → '250'. */
export function countTag(n: number): string {
  return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** The feature-net dataset for a run's target images, when one applies (native size and channels). */
export function pairedFeatureDataset(cfg: RunConfig): { dataset: (typeof FEATURE_DATASETS)[number]; dataDir?: string } | undefined {
  const from = pairedTargetDataset(cfg.data) as { name: string; dir?: string; imageSize?: number; channels?: number } | undefined;
  if (!from || !(FEATURE_DATASETS as readonly string[]).includes(from.name) || from.imageSize !== undefined || from.channels !== undefined) return undefined;
  return { dataset: from.name as (typeof FEATURE_DATASETS)[number], dataDir: from.dir };
}

export interface PairedEvalOptions {
  metrics: string[];
  n: number;
  split: 'test' | 'train';
  seed: number;
  featureNetOptions?: FeatureNetOptions;
}

/** FID/KID of a paired run's outputs [n, ...shape] against the real target images of the split (the feature net of pairedFeatureDataset). */
export async function outputFidKid(cfg: RunConfig, dist: string[], outputs: Float32Array, n: number, shape: number[], opts: { split: 'test' | 'train'; seed: number; featureNetOptions?: FeatureNetOptions }): Promise<MetricRecord> {
  const feat = pairedFeatureDataset(cfg);
  if (!feat) throw new Error(`fid/kid: no feature network for this run's target images (built-in ones: ${FEATURE_DATASETS.join(', ')} at their own size); leave out fid and kid`);
  const r = await evaluate({
    metrics: dist,
    samples: outputs,
    count: n,
    shape,
    dataset: feat.dataset,
    ref: opts.split,
    n,
    seed: opts.seed,
    dataDir: feat.dataDir,
    featureNetOptions: opts.featureNetOptions,
    kid: { subsets: 10, subsetSize: Math.max(2, Math.floor(n / 2)) },
  });
  return Object.fromEntries(Object.entries(r).filter(([k]) => /^(fid|kid)/.test(k) || k.startsWith('feature_net') || k === 'n_ref'));
}

export async function evaluatePaired(t: Trainer, cfg: RunConfig, opts: PairedEvalOptions): Promise<MetricRecord> {
  const started = performance.now();
  const unknown = opts.metrics.filter((m) => !(PAIRED_METRICS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`metric(s) ${unknown.join(', ')} do not apply to a paired translation run; choose from ${PAIRED_METRICS.join(', ')}`);
  let pairs;
  try {
    pairs = await loadPairedEvalSet(cfg.data, opts.split);
  } catch (e) {
    const hint = opts.split === 'test' ? ' (a run trained on --data-a/--data-b folders has no test split: evaluate on --ref train, or train from a folder with train/ and test/ sub-folders)' : '';
    throw new Error(`${(e as Error).message}${hint}`, { cause: e });
  }
  const n = Math.min(opts.n, pairs.target.count);
  if (n < 1) throw new Error('paired eval: the split has no pairs');
  const inShape = pairs.input.shape;
  const outShape = pairs.target.shape;
  const input = imageSetToUnit(pairs.input, 0, n);
  const target = imageSetToUnit(pairs.target, 0, n);
  const outputs = await t.generate(n, new Rng(opts.seed), { inputs: { x: input } });
  const generate_seconds = (performance.now() - started) / 1000;
  const proto = `${opts.split}${countTag(n)}`;
  const out: MetricRecord = {};
  const put = (s: PairedScores, suffix: string) => {
    out[`l1_${proto}${suffix}`] = s.l1;
    out[`psnr_${proto}${suffix}`] = s.psnr;
    out[`psnr_pooled_${proto}${suffix}`] = s.psnrPooled;
    out[`ssim_${proto}${suffix}`] = s.ssim;
  };
  if (opts.metrics.includes('paired')) {
    put(pairedScores(outputs, target, n, outShape), '');
    if (inShape[2] === outShape[2] || inShape[2] === 1) put(pairedScores(input, target, n, outShape, inShape[2]), '_input');
    const train = opts.split === 'train' ? pairs : await loadPairedEvalSet(cfg.data, 'train');
    const per = sampleSize(outShape);
    const mean = meanImage(imageSetToUnit(train.target), train.target.count, per);
    put(pairedScores(repeatImage(mean, n), target, n, outShape), '_meantarget');
    out.metric_range = '[0,1]';
  }
  const dist = opts.metrics.filter((m) => m === 'fid' || m === 'kid');
  if (dist.length) Object.assign(out, await outputFidKid(cfg, dist, outputs, n, outShape, opts));
  return { ...out, n_pairs: n, split: opts.split, generate_seconds, eval_seconds: (performance.now() - started) / 1000 };
}
