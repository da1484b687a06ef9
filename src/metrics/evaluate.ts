/**
 * One call from generated images to a flat record of metrics whose keys carry their protocol: sample
 * count, reference split, feature network and parameters (k, probability threshold), e.g.
 * `fid10k_test_mnistnet`, `precision10k_test_mnistnet_k3`, `confident10k_mnistnet_p90`.
 * Reference features are kept in memory per (network, dataset, split, n, seed), so evaluating again
 * during training only extracts the samples' features.
 */
import { Rng } from '../core/rng.ts';
import { loadEvalSet } from '../data/registry.ts';
import { bytesToUnit, imageSetToUnit, type ImageSet } from '../data/dataset.ts';
import { fidFromStats, inceptionScore, kid, type KidOptions } from './fid.ts';
import { manifoldMetrics } from './prdc.ts';
import { meanCov, type MeanCov } from './stats.ts';
import { stackedMnistLabels, stackedMnistModes } from './mode_coverage.ts';
import { channelOf, classify, extract, getFeatureNet, type FeatureDataset, type FeatureNet, type FeatureNetOptions } from './feature_net.ts';

export type EvalDataset = FeatureDataset | 'stacked-mnist';
export const IMAGE_METRICS = ['fid', 'kid', 'is', 'pr', 'dc', 'conf', 'stacked', 'acc'] as const;
export type ImageMetric = (typeof IMAGE_METRICS)[number];
/** What `gantry eval` computes on images when no metric is named. */
export const DEFAULT_IMAGE_METRICS: ImageMetric[] = ['fid', 'kid', 'is', 'pr', 'dc', 'conf'];

export interface EvaluateOptions {
  /**
   * Any of fid, kid, is, pr, dc; 'conf' (confident share and min/max class share); 'stacked' (modes + KL,
   * Stacked MNIST); 'acc' (needs labels).
   */
  metrics: string[];
  /** Generated images, row-major [count, H, W, C], in [-1, 1]. */
  samples: Float32Array;
  count: number;
  shape: number[];
  dataset: EvalDataset;
  /** Reference split for fid/kid/pr/dc. */
  ref: 'test' | 'train';
  /** Samples (and reference images) to use: the first min(n, count) samples. */
  n: number;
  seed: number;
  /** The class each sample was generated for (conditional GANs), for 'acc'. */
  labels?: Int32Array;
  /** Data folder (required for cifar10). */
  dataDir?: string;
  /** A feature network to use instead of the dataset's own classifier (not disposed here). */
  featureNet?: FeatureNet;
  featureNetOptions?: FeatureNetOptions;
  /** KID subsets / subset size (defaults 100 / 1000). */
  kid?: Omit<KidOptions, 'seed'>;
  /** k for precision/recall (default 3) and density/coverage (default 5). */
  prK?: number;
  dcK?: number;
  /** 'conf': a sample is confident when its top class probability exceeds this (default 0.9). */
  confidence?: number;
}

export type MetricRecord = Record<string, number | string>;

interface ReferenceFeatures {
  feats: Float32Array;
  dim: number;
  count: number;
  stats: MeanCov;
}

const referenceCache = new Map<string, ReferenceFeatures>();

/** Forgets the cached reference features (they are a few MB per reference set). */
export function clearReferenceCache(): void {
  referenceCache.clear();
}

function parseMetrics(metrics: string[], dataset: EvalDataset): Set<ImageMetric> {
  const out = new Set<ImageMetric>();
  for (const raw of metrics) {
    let m = raw.trim().toLowerCase();
    if (m === 'modes' && dataset === 'stacked-mnist') m = 'stacked';
    if (!(IMAGE_METRICS as readonly string[]).includes(m)) {
      const hint = m === 'modes' ? ` ('modes' applies to 2-D toy data and stacked-mnist)` : '';
      throw new Error(`unknown image metric '${raw}'${hint}; choose from ${IMAGE_METRICS.join(', ')}`);
    }
    out.add(m as ImageMetric);
  }
  if (out.size === 0) throw new Error('no metrics asked for');
  if (dataset === 'stacked-mnist') {
    const other = [...out].filter((m) => m !== 'stacked');
    if (other.length) throw new Error(`metric(s) ${other.join(', ')} are not defined for stacked-mnist; use 'stacked' (modes and KL to uniform)`);
  } else if (out.has('stacked')) {
    throw new Error(`metric 'stacked' needs dataset stacked-mnist, got '${dataset}'`);
  }
  return out;
}

/** '10k' for 10,000, else the plain count: the sample count as it appears in metric keys. */
function countTag(n: number): string {
  return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** Index of the largest of `classes` values starting at `offset` (the first on ties). */
function argmax(values: Float32Array, offset: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

export interface ClassBalance {
  /** Share of samples whose top class probability exceeds the threshold. */
  confident: number;
  /** Share of samples whose top class (argmax) is each class; sums to 1. */
  shares: number[];
  /** Smallest and largest entry of `shares` (a class never predicted counts as 0). */
  shareMin: number;
  shareMax: number;
}

/**
 * How convincing and how balanced samples look to a classifier: the share it labels with top
 * probability > `threshold` (malformed samples get flat probabilities) and the class shares of its
 * argmax labels (a collapsed or imbalanced generator shows as a small minimum or a large maximum).
 * @param probs row-major n × classes class probabilities
 */
export function classBalance(probs: Float32Array, n: number, classes: number, threshold = 0.9): ClassBalance {
  if (!(n >= 1) || !(classes >= 1) || probs.length < n * classes) {
    throw new Error(`classBalance: probs has ${probs.length} values, need n·classes = ${n}·${classes}`);
  }
  if (!(threshold >= 0 && threshold < 1)) throw new Error(`classBalance: threshold must be in [0, 1), got ${threshold}`);
  const counts = new Array<number>(classes).fill(0);
  let confident = 0;
  for (let i = 0; i < n; i++) {
    const top = argmax(probs, i * classes, classes);
    counts[top]!++;
    if (probs[i * classes + top]! > threshold) confident++;
  }
  const shares = counts.map((c) => c / n);
  return { confident: confident / n, shares, shareMin: Math.min(...shares), shareMax: Math.max(...shares) };
}

/** '_p90' for 0.9: the confidence threshold as it appears in metric keys (like '_k3' for k). */
function thresholdTag(threshold: number): string {
  return `_p${Number((threshold * 100).toFixed(2))}`.replace('.', '_');
}

/** The first `n` images of a set, or a seeded random `n` of them when the set is larger. */
function subsetOf(set: ImageSet, n: number, rng: Rng): { x: Float32Array; count: number } {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  if (n >= set.count) return { x: imageSetToUnit(set), count: set.count };
  const order = rng.permutation(set.count);
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) bytesToUnit(set.pixels.subarray(order[i]! * per, (order[i]! + 1) * per), x, i * per);
  return { x, count: n };
}

async function referenceFeatures(net: FeatureNet, opts: EvaluateOptions, dataset: FeatureDataset): Promise<ReferenceFeatures> {
  const key = [net.key, dataset, opts.ref, opts.n, opts.seed, opts.dataDir ?? ''].join('|');
  const cached = referenceCache.get(key);
  if (cached) return cached;
  const set = await loadEvalSet({ name: dataset, dir: opts.dataDir }, opts.ref);
  const { x, count } = subsetOf(set, opts.n, new Rng(opts.seed).fork('reference'));
  const { feats, dim } = extract(net, x, count, set.shape);
  const ref: ReferenceFeatures = { feats, dim, count, stats: meanCov(feats, count, dim) };
  referenceCache.set(key, ref);
  return ref;
}

function checkShape(net: FeatureNet, shape: number[]): void {
  if (net.resizer !== 'none') return;
  if (shape.length !== 3 || !shape.every((d, i) => d === net.inputShape[i])) {
    throw new Error(`samples are [${shape}], but feature net ${net.name} takes [${net.inputShape}] (generate at the dataset's size)`);
  }
}

/**
 * Computes the asked metrics for generated samples. Keys: fid{N}_{ref}_{net}, kid{N}_{ref}_{net}
 * (+ _std), is{N}_{net} (+ _std), precision/recall{N}_{ref}_{net}_k{k}, density/coverage{N}_{ref}_{net}_k{k},
 * confident{N}_{net}_p{100·threshold}, class_share_min{N}_{net}, class_share_max{N}_{net} (classifier
 * only, no reference), stacked_modes{N}_{net}, stacked_kl{N}_{net}, class_acc{N}_{net}; plus feature_net,
 * feature_net_test_accuracy, n_samples, n_ref, resizer, eval_seconds.
 */
/** Metrics that compare the sample distribution with the reference one. */
const DISTRIBUTION_METRICS = new Set(['fid', 'kid', 'pr', 'dc']);
const MIN_DISTRIBUTION_SAMPLES = 10;
/** Samples must lie in the data range [-1, 1]; a little slack for resampled or rounded values. */
const RANGE_SLACK = 0.01;

/** Refuses NaN/Inf and values outside [-1, 1], naming the first bad sample and what the values look like. */
function checkSampleValues(samples: Float32Array, per: number): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (!Number.isFinite(v)) {
      throw new Error(`evaluate: sample ${Math.floor(i / per)} holds ${v}: samples must be finite (did the generator diverge, or is the file damaged?)`);
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < -1 - RANGE_SLACK || hi > 1 + RANGE_SLACK) {
    const hint = hi > 2 ? ' — they look like 0..255 pixels: map them with v / 127.5 − 1' : '';
    throw new Error(`evaluate: sample values span [${lo.toPrecision(4)}, ${hi.toPrecision(4)}], outside the data range [-1, 1]${hint}`);
  }
}

export async function evaluate(opts: EvaluateOptions): Promise<MetricRecord> {
  const started = performance.now();
  const metrics = parseMetrics(opts.metrics, opts.dataset);
  if (!Number.isInteger(opts.n) || opts.n < 2) throw new Error(`evaluate: n must be an integer >= 2, got ${opts.n}`);
  if (opts.ref !== 'test' && opts.ref !== 'train') throw new Error(`evaluate: ref must be 'test' or 'train', got '${String(opts.ref)}'`);
  const per = opts.shape.reduce((a, b) => a * b, 1);
  if (opts.samples.length < opts.count * per) {
    throw new Error(`evaluate: samples hold ${opts.samples.length} values, fewer than count ${opts.count} × [${opts.shape}]`);
  }
  const n = Math.min(opts.n, opts.count);
  if (n < 2) throw new Error(`evaluate: need at least 2 samples, got ${opts.count}`);
  const samples = opts.samples.subarray(0, n * per);
  checkSampleValues(samples, per);
  if ([...metrics].some((m) => DISTRIBUTION_METRICS.has(m)) && n < MIN_DISTRIBUTION_SAMPLES) {
    throw new Error(`evaluate: ${[...metrics].filter((m) => DISTRIBUTION_METRICS.has(m)).join(', ')} need at least ${MIN_DISTRIBUTION_SAMPLES} samples, got ${n}: a distance between distributions from so few samples means nothing`);
  }
  const netDataset: FeatureDataset = opts.dataset === 'stacked-mnist' ? 'mnist' : opts.dataset;
  const net = opts.featureNet ?? (await getFeatureNet(netDataset, { dataDir: opts.dataDir, ...opts.featureNetOptions }));
  const tag = countTag(n);
  const out: MetricRecord = {};
  try {
    if (metrics.has('stacked')) {
      if (opts.shape.length !== 3 || opts.shape[2] !== 3) throw new Error(`stacked: samples must have 3 channels (one digit each), got [${opts.shape}]`);
      const single = [opts.shape[0]!, opts.shape[1]!, 1];
      checkShape(net, single);
      const digits = [0, 1, 2].map((c) => classify(net, channelOf(samples, n, opts.shape, c), n, single));
      const r = stackedMnistModes(stackedMnistLabels(digits[0]!, digits[1]!, digits[2]!));
      out[`stacked_modes${tag}_${net.name}`] = r.modes;
      out[`stacked_kl${tag}_${net.name}`] = r.kl_to_uniform;
    }
    const needFeatures = ['fid', 'kid', 'pr', 'dc', 'is', 'conf', 'acc'].some((m) => metrics.has(m as ImageMetric));
    if (needFeatures) {
      checkShape(net, opts.shape);
      const fake = extract(net, samples, n, opts.shape);
      if (metrics.has('is')) {
        const is = inceptionScore(fake.probs, n, fake.classes, 10);
        out[`is${tag}_${net.name}`] = is.mean;
        out[`is${tag}_${net.name}_std`] = is.std;
      }
      if (metrics.has('acc')) {
        if (!opts.labels || opts.labels.length < n) throw new Error(`acc: needs the class of each of the ${n} samples (labels)`);
        let correct = 0;
        for (let i = 0; i < n; i++) if (argmax(fake.probs, i * fake.classes, fake.classes) === opts.labels[i]) correct++;
        out[`class_acc${tag}_${net.name}`] = correct / n;
      }
      if (metrics.has('conf')) {
        const threshold = opts.confidence ?? 0.9;
        const b = classBalance(fake.probs, n, fake.classes, threshold);
        out[`confident${tag}_${net.name}${thresholdTag(threshold)}`] = b.confident;
        out[`class_share_min${tag}_${net.name}`] = b.shareMin;
        out[`class_share_max${tag}_${net.name}`] = b.shareMax;
      }
      if (['fid', 'kid', 'pr', 'dc'].some((m) => metrics.has(m as ImageMetric))) {
        if (opts.dataset === 'stacked-mnist') throw new Error('unreachable: stacked-mnist has no reference features');
        const ref = await referenceFeatures(net, { ...opts, n }, opts.dataset);
        const proto = `${tag}_${opts.ref}_${net.name}`;
        if (metrics.has('fid')) out[`fid${proto}`] = fidFromStats(meanCov(fake.feats, n, fake.dim), ref.stats);
        if (metrics.has('kid')) {
          const k = kid(fake.feats, ref.feats, fake.dim, { ...opts.kid, seed: opts.seed });
          out[`kid${proto}`] = k.mean;
          out[`kid${proto}_std`] = k.std;
        }
        const prK = metrics.has('pr') ? (opts.prK ?? 3) : 0;
        const dcK = metrics.has('dc') ? (opts.dcK ?? 5) : 0;
        if (prK || dcK) {
          const m = manifoldMetrics(ref.feats, fake.feats, fake.dim, { prK, dcK });
          if (prK) {
            out[`precision${proto}_k${prK}`] = m.precision!;
            out[`recall${proto}_k${prK}`] = m.recall!;
          }
          if (dcK) {
            out[`density${proto}_k${dcK}`] = m.density!;
            out[`coverage${proto}_k${dcK}`] = m.coverage!;
          }
        }
        out.n_ref = ref.count;
      }
    }
    out.feature_net = net.name;
    out.feature_net_test_accuracy = net.testAccuracy;
    out.n_samples = n;
    out.resizer = net.resizer;
    out.dataset = opts.dataset;
    out.eval_seconds = (performance.now() - started) / 1000;
    return out;
  } finally {
    if (!opts.featureNet) net.dispose();
  }
}

/**
 * The floor of each metric for this dataset: n training images evaluated as if generated, against the
 * test split (FID of real vs real is not 0 and is the best a generator can expect). 'conf' is scored on
 * n test images instead (`conf_images: 'test'`): the classifier learnt the training images, so only
 * held-out digits show how confident it is on real data.
 */
export async function realVsReal(
  dataset: FeatureDataset,
  n: number,
  opts: { metrics?: string[]; seed?: number; dataDir?: string; featureNet?: FeatureNet; featureNetOptions?: FeatureNetOptions } = {},
): Promise<MetricRecord> {
  const seed = opts.seed ?? 0;
  const metrics = [...parseMetrics(opts.metrics?.length ? opts.metrics : DEFAULT_IMAGE_METRICS, dataset)];
  const net = opts.featureNet ?? (await getFeatureNet(dataset, { dataDir: opts.dataDir, ...opts.featureNetOptions }));
  const score = async (split: 'train' | 'test', asked: string[]) => {
    const set = await loadEvalSet({ name: dataset, dir: opts.dataDir }, split);
    const { x, count } = subsetOf(set, n, new Rng(seed).fork(split === 'train' ? 'real-vs-real' : 'real-vs-real-test'));
    return evaluate({ metrics: asked, samples: x, count, shape: set.shape, dataset, ref: 'test', n, seed, dataDir: opts.dataDir, featureNet: net });
  };
  try {
    const others = metrics.filter((m) => m !== 'conf');
    const record = others.length ? await score('train', others) : {};
    if (!metrics.includes('conf')) return { real_vs_real: 'train_vs_test', ...record };
    const held = await score('test', ['conf']);
    // The training-image record's meta fields (n_samples, eval_seconds…) win; the 'conf' keys come only from `held`.
    return { real_vs_real: 'train_vs_test', conf_images: 'test', ...held, ...record };
  } finally {
    if (!opts.featureNet) net.dispose();
  }
}

