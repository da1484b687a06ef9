/**
 * `gantry eval` for unpaired translation runs (CycleGAN): the first n test images of each domain are
 * translated to the other (G_AB, G_BA, inference mode) and scored with
 *  - label preservation (CyCADA's measure): a classifier trained on the target domain's labels reads
 *    the translations of labelled source images, scored against the source labels. Beside it, the same
 *    classifier on the untranslated source images (channels converted): what translation adds;
 *  - cycle reconstruction: mean |G_BA(G_AB(a)) − a| and |G_AB(G_BA(b)) − b| on a 0..1 scale;
 *  - FID/KID of the translations against the real target domain's images of that split.
 * Classifiers and FID features come from the target domain's built-in feature network (mnist,
 * fashion-mnist, cifar10, mnist-m at their own size). Keys carry the protocol and the direction:
 * `label_preservation_ab_test1k_mnistmnet`, `cycle_l1_a_test1k`, `fid1k_test_mnistmnet_ab`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imageSetToUnit, sampleSize, type ImageSet } from '../data/dataset.ts';
import { loadEvalSet, type DomainConfig } from '../data/registry.ts';
import { adaptImages } from '../data/resize.ts';
import type { RunConfig } from '../families/config.ts';
import { runInBatches } from '../models/batched.ts';
import type { Network } from '../models/network.ts';
import type { Trainer } from '../train/trainer.ts';
import { evaluate, type MetricRecord } from './evaluate.ts';
import { countTag } from './paired_eval.ts';
import { classify, FEATURE_DATASETS, getFeatureNet, type FeatureDataset, type FeatureNetOptions } from './feature_net.ts';

export const UNPAIRED_METRICS = ['labels', 'cycle', 'fid', 'kid'] as const;

/** The built-in feature network of a domain, when one applies (its own size; any channel count, converted). */
export function domainFeatureDataset(domain: DomainConfig): { dataset: FeatureDataset; dataDir?: string } | undefined {
  const d = domain as { name: string; dir?: string; imageSize?: number };
  if (!(FEATURE_DATASETS as readonly string[]).includes(d.name) || d.imageSize !== undefined) return undefined;
  return { dataset: d.name as FeatureDataset, dataDir: d.dir };
}

/** The two domains of an unpaired run's data, or a clear error. */
export function unpairedDomains(cfg: RunConfig): { a: DomainConfig; b: DomainConfig } {
  const data = cfg.data as { name: string; a?: DomainConfig; b?: DomainConfig };
  if (data.name !== 'unpaired' || !data.a || !data.b) throw new Error(`unpaired metrics need two-domain data (data: { name: unpaired, a, b }); this run's data is '${data.name}'`);
  return { a: data.a, b: data.b };
}

/** `net` applied to `count` images (inference mode), in batches. */
export function translateImages(net: Network, x: Float32Array, count: number, inShape: readonly number[], outShape: readonly number[], batch = 250): Promise<Float32Array> {
  const per = sampleSize(inShape);
  return runInBatches(count, sampleSize(outShape), batch, (i, m) => net.apply(tf.tensor(x.subarray(i * per, (i + m) * per), [m, ...inShape]), { training: false }));
}

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

function accuracy(predicted: Int32Array, labels: Int32Array, n: number): number {
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) correct++;
  return correct / n;
}

export interface UnpairedEvalOptions {
  metrics: string[];
  n: number;
  split: 'test' | 'train';
  seed: number;
  featureNetOptions?: Omit<FeatureNetOptions, 'dataDir'>;
}

interface Side {
  key: 'a' | 'b';
  domain: DomainConfig;
  set: ImageSet;
  real: Float32Array;
}

/** The metrics `gantry eval` computes for an unpaired run when none are named: those its domains allow. */
export function defaultUnpairedMetrics(cfg: RunConfig): string[] {
  const { a, b } = unpairedDomains(cfg);
  const feats = domainFeatureDataset(a) || domainFeatureDataset(b);
  return feats ? ['labels', 'cycle', 'fid', 'kid'] : ['cycle'];
}

export async function evaluateUnpaired(t: Trainer, cfg: RunConfig, opts: UnpairedEvalOptions): Promise<MetricRecord> {
  const started = performance.now();
  const unknown = opts.metrics.filter((m) => !(UNPAIRED_METRICS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`metric(s) ${unknown.join(', ')} do not apply to an unpaired translation run; choose from ${UNPAIRED_METRICS.join(', ')}`);
  const domains = unpairedDomains(cfg);
  const load = async (key: 'a' | 'b'): Promise<Side> => {
    let set: ImageSet;
    try {
      set = await loadEvalSet(domains[key], opts.split);
    } catch (e) {
      const hint = opts.split === 'test' ? ' (folders given with --data-a/--data-b have no test split unless they hold train/ and test/ sub-folders: evaluate with --ref train)' : '';
      throw new Error(`domain ${key.toUpperCase()}: ${(e as Error).message}${hint}`, { cause: e });
    }
    return { key, domain: domains[key], set, real: new Float32Array(0) };
  };
  const A = await load('a');
  const B = await load('b');
  const n = Math.min(opts.n, A.set.count, B.set.count);
  if (n < 1) throw new Error('unpaired eval: a domain has no images in this split');
  A.real = imageSetToUnit(A.set, 0, n);
  B.real = imageSetToUnit(B.set, 0, n);
  const G_AB = t.network('G_AB');
  const G_BA = t.network('G_BA');
  const fakeB = await translateImages(G_AB, A.real, n, A.set.shape, B.set.shape);
  const fakeA = await translateImages(G_BA, B.real, n, B.set.shape, A.set.shape);
  const generate_seconds = (performance.now() - started) / 1000;
  const proto = `${opts.split}${countTag(n)}`;
  const out: MetricRecord = {};

  if (opts.metrics.includes('cycle')) {
    // On 0..1 pixels (the data's [-1, 1] halved), as the paired L1.
    out[`cycle_l1_a_${proto}`] = meanAbsDiff(await translateImages(G_BA, fakeB, n, B.set.shape, A.set.shape), A.real) / 2;
    out[`cycle_l1_b_${proto}`] = meanAbsDiff(await translateImages(G_AB, fakeA, n, A.set.shape, B.set.shape), B.real) / 2;
  }

  const directions = [
    { tag: 'ab', src: A, tgt: B, fake: fakeB },
    { tag: 'ba', src: B, tgt: A, fake: fakeA },
  ];
  const dist = opts.metrics.filter((m) => m === 'fid' || m === 'kid');
  for (const { tag, src, tgt, fake } of directions) {
    const feat = domainFeatureDataset(tgt.domain);
    const wantLabels = opts.metrics.includes('labels') && src.set.labels !== null;
    if (!feat || (!wantLabels && !dist.length)) continue;
    const net = await getFeatureNet(feat.dataset, { ...opts.featureNetOptions, dataDir: feat.dataDir });
    try {
      // A domain loaded with other channels than its dataset's own (gray MNIST as RGB) is read in the net's channels.
      const netShape = net.inputShape;
      const toNet = (x: Float32Array, shape: [number, number, number]) => adaptImages(x, n, shape, { channels: netShape[2] }).x;
      const translated = toNet(fake, tgt.set.shape);
      if (wantLabels) {
        out[`label_preservation_${tag}_${proto}_${net.name}`] = accuracy(classify(net, translated, n, netShape), src.set.labels!, n);
        // The classifier on the source images as they are: the floor translation must beat.
        out[`label_preservation_${tag}_${proto}_${net.name}_untranslated`] = accuracy(classify(net, toNet(src.real, src.set.shape), n, netShape), src.set.labels!, n);
        out[`feature_net_test_accuracy_${tgt.key}_${net.name}`] = net.testAccuracy;
      }
      if (dist.length) {
        const r = await evaluate({
          metrics: dist,
          samples: translated,
          count: n,
          shape: netShape,
          dataset: feat.dataset,
          ref: opts.split,
          n,
          seed: opts.seed,
          dataDir: feat.dataDir,
          featureNet: net,
          kid: { subsets: 10, subsetSize: Math.max(2, Math.floor(n / 2)) },
        });
        for (const [k, v] of Object.entries(r)) if (/^(fid|kid)/.test(k)) out[`${k}_${tag}`] = v;
      }
    } finally {
      net.dispose();
    }
  }
  if (dist.length && !directions.some((d) => domainFeatureDataset(d.tgt.domain))) {
    throw new Error(`${dist.join('/')}: neither domain has a built-in feature network (${FEATURE_DATASETS.join(', ')} at their own size); ask for --metrics cycle`);
  }
  if (opts.metrics.includes('labels') && !Object.keys(out).some((k) => k.startsWith('label_preservation'))) {
    throw new Error("'labels': label preservation needs labelled source images and a built-in classifier for the target domain (mnist, fashion-mnist, cifar10, mnist-m at their own size); ask for --metrics cycle");
  }
  return { ...out, n_per_domain: n, split: opts.split, generate_seconds, eval_seconds: (performance.now() - started) / 1000 };
}
