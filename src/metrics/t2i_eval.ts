/**
 * `gantry eval` for text-to-image runs. One sample per test caption (the split's captions in order, the
 * run's latent stream from `seed`), then:
 *
 * Captions: both `shapes` test splits, the held-out emoji's names, or a captioned folder's test/ split.
 * - **R-precision** (AttnGAN's protocol): each generated image's caption is ranked against 99 others by the
 *   run's dual encoder (cosine of E(image) and G's text embedding); a hit when it ranks first. The 99 are
 *   drawn from the split's captions that describe a *different* image content — on `shapes` a different
 *   attribute combination, elsewhere a different text — since another wording of the same content is not
 *   a wrong caption. Key `rprec100_<split><n>_dualenc`, with the real images' score beside it (`_real`).
 * - On `shapes`: the attribute judge's accuracy (metrics/shapes_attributes.ts) per attribute and all four
 *   at once, `attr_<attribute>_<split><n>_shapesattrnet`, `attr_all_…`, the judge's accuracy on the real
 *   images beside it (`…_real`), and FID/KID of samples against the split's real images in the judge's
 *   features (`fid<n>_<split>_shapesattrnet`). Splits `seen` (the 168 trained combinations, new images and
 *   captions) and `unseen` (the 42 held-out combinations).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { DEFAULT_FOLDER_IMAGE_SIZE, SHAPES_DATA_SEED } from '../data/registry.ts';
import { makeShapesSet } from '../data/shapes.ts';
import { loadEmojiSet } from '../data/emoji.ts';
import { loadCaptionedSet } from '../data/captioned.ts';
import { folderForSplit } from '../data/image_folder.ts';
import type { RunConfig } from '../families/config.ts';
import { l2Normalize } from '../losses/terms.ts';
import { runInBatches } from '../models/batched.ts';
import type { Trainer } from '../train/trainer.ts';
import type { MetricRecord } from './evaluate.ts';
import { fid, kid } from './fid.ts';
import { countTag } from './paired_eval.ts';
import { ATTRIBUTES, attributeAccuracy, getAttributeNet } from './shapes_attributes.ts';

export const T2I_METRICS = ['rprec', 'attr', 'fid', 'kid'] as const;
/** Candidates per R-precision query: the right caption and 99 others (AttnGAN). */
export const R_PRECISION_CANDIDATES = 100;

export interface CaptionEvalSet {
  split: string;
  texts: string[];
  /** Images [n, H, W, C] in [−1, 1]. */
  images: Float32Array;
  /** What each caption describes: captions with equal keys are not each other's wrong captions. */
  contentKey: string[];
  /** Shapes only: [n·4] attributes. */
  attributes?: Int32Array;
}

/**
 * R-precision from embeddings: `imageEmb` [n, d] (one image per caption i) and `textEmb` [n, d] of the
 * captions; for image i, the caption i and `candidates − 1` captions drawn (with `rng`, without
 * replacement) among those with a different content key. Returns the fraction of i whose own caption has
 * the highest cosine similarity (ties count as misses).
 */
export function rPrecision(imageEmb: Float32Array, textEmb: Float32Array, dim: number, contentKey: readonly string[], rng: Rng, candidates = R_PRECISION_CANDIDATES): number {
  const n = contentKey.length;
  if (imageEmb.length !== n * dim || textEmb.length !== n * dim) throw new Error(`rPrecision: expected ${n}×${dim} embeddings, got ${imageEmb.length / dim} images and ${textEmb.length / dim} texts`);
  const norm = (v: Float32Array) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += v[i * dim + k]! ** 2;
      const r = 1 / Math.sqrt(s + 1e-12);
      for (let k = 0; k < dim; k++) out[i * dim + k] = v[i * dim + k]! * r;
    }
    return out;
  };
  const im = norm(imageEmb);
  const tx = norm(textEmb);
  const cos = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += im[i * dim + k]! * tx[j * dim + k]!;
    return s;
  };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const others: number[] = [];
    for (let j = 0; j < n; j++) if (contentKey[j] !== contentKey[i]) others.push(j);
    if (others.length < candidates - 1) throw new Error(`rPrecision: caption ${i} has ${others.length} captions of other content, needs ${candidates - 1}`);
    // A partial Fisher–Yates shuffle draws the wrong captions.
    for (let k = 0; k < candidates - 1; k++) {
      const r = k + rng.int(others.length - k);
      [others[k], others[r]] = [others[r]!, others[k]!];
    }
    const right = cos(i, i);
    let best = -Infinity;
    for (let k = 0; k < candidates - 1; k++) best = Math.max(best, cos(i, others[k]!));
    if (right > best) hits++;
  }
  return hits / n;
}

/** The evaluation captions of a run: on `shapes`, both test splits; on `emoji`, the held-out emoji (their names). */
export function t2iEvalSets(cfg: RunConfig, n: number): CaptionEvalSet[] {
  if (cfg.data.name === 'emoji') {
    const set = loadEmojiSet('test', { size: cfg.data.imageSize, channels: cfg.data.channels, limit: n });
    return [{ split: 'test', texts: set.names, images: imageSetToUnit(set.images), contentKey: set.names }];
  }
  if (cfg.data.name === 'captioned') {
    // A captioned folder's test/ split (its images decoded once; a caption per line).
    const set = loadCaptionedSet(folderForSplit(cfg.data.dir, 'test', 'captioned folder'), { imageSize: cfg.data.imageSize ?? DEFAULT_FOLDER_IMAGE_SIZE, channels: cfg.data.channels ?? 3, limit: n });
    const unit = imageSetToUnit(set.images);
    const per = set.images.shape.reduce((a, b) => a * b, 1);
    const images = new Float32Array(set.texts.length * per);
    set.imageOf.forEach((j, i) => images.set(unit.subarray(j * per, (j + 1) * per), i * per));
    return [{ split: 'test', texts: set.texts, images, contentKey: Array.from(set.imageOf, String) }];
  }
  if (cfg.data.name !== 'shapes') throw new Error(`t2i eval: data '${cfg.data.name}' is not captioned`);
  return (['seen', 'unseen'] as const).map((split) => {
    const set = makeShapesSet(split, n, SHAPES_DATA_SEED);
    const contentKey = Array.from({ length: n }, (_, i) => Array.from(set.attributes.subarray(i * 4, i * 4 + 4)).join(','));
    return { split, texts: set.texts, images: imageSetToUnit(set.images), contentKey, attributes: set.attributes };
  });
}

export async function evaluateT2i(t: Trainer, cfg: RunConfig, opts: { metrics: string[]; n: number; seed: number; log?: (m: string) => void }): Promise<MetricRecord> {
  const unknown = opts.metrics.filter((m) => !(T2I_METRICS as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`metric(s) ${unknown.join(', ')} do not apply to a text-to-image run; choose from ${T2I_METRICS.join(', ')}`);
  const tokenizer = t.data.tokenizer;
  if (!tokenizer) throw new Error('t2i eval: the run has no tokenizer');
  const started = performance.now();
  const sampler = t.network(t.samplerSpec.network);
  const E = t.network('E');
  const dim = E.outputShape[0]!;
  const shapeOf = t.data.shape;
  const per = shapeOf.reduce((a, b) => a * b, 1);
  const out: MetricRecord = {};
  const judge = opts.metrics.some((m) => m !== 'rprec') ? await getAttributeNet({ log: opts.log }) : null;
  try {
    for (const set of t2iEvalSets(cfg, opts.n)) {
      const n = set.texts.length;
      const tag = `${set.split}${countTag(n)}`;
      const ids = tokenizer.encodeBatch(set.texts);
      const samples = await t.generate(n, new Rng(opts.seed), { inputs: { tokens: Float32Array.from(ids) } });
      if (opts.metrics.includes('rprec')) {
        const T = tokenizer.maxLength;
        const textEmb = await runInBatches(n, dim, 500, (i, m) => sampler.run({ tokens: tf.tensor2d(ids.subarray(i * T, (i + m) * T), [m, T], 'int32') }, { training: false }, ['text']).text!);
        const imageEmb = (x: Float32Array) => runInBatches(n, dim, 500, (i, m) => l2Normalize(E.apply(tf.tensor(x.subarray(i * per, (i + m) * per), [m, ...shapeOf]), { training: false }) as tf.Tensor2D));
        out[`rprec${R_PRECISION_CANDIDATES}_${tag}_dualenc`] = rPrecision(await imageEmb(samples), textEmb, dim, set.contentKey, new Rng(opts.seed + 1));
        out[`rprec${R_PRECISION_CANDIDATES}_${tag}_dualenc_real`] = rPrecision(await imageEmb(set.images), textEmb, dim, set.contentKey, new Rng(opts.seed + 1));
      }
      if (judge && set.attributes) {
        if (opts.metrics.includes('attr')) {
          const acc = attributeAccuracy(await judge.predict(samples, n), set.attributes);
          ATTRIBUTES.forEach((a, i) => (out[`attr_${a}_${tag}_${judge.name}`] = acc.perAttribute[i]!));
          out[`attr_all_${tag}_${judge.name}`] = acc.all;
          out[`attr_all_${tag}_${judge.name}_real`] = attributeAccuracy(await judge.predict(set.images, n), set.attributes).all;
        }
        if (opts.metrics.includes('fid') || opts.metrics.includes('kid')) {
          const fake = await judge.features(samples, n);
          const real = await judge.features(set.images, n);
          const fdim = fake.length / n;
          if (opts.metrics.includes('fid')) out[`fid${countTag(n)}_${set.split}_${judge.name}`] = fid(fake, real, fdim);
          if (opts.metrics.includes('kid')) {
            const k = kid(fake, real, fdim, { seed: opts.seed });
            out[`kid${countTag(n)}_${set.split}_${judge.name}`] = k.mean;
            out[`kid${countTag(n)}_${set.split}_${judge.name}_std`] = k.std;
          }
        }
      }
    }
  } finally {
    judge?.dispose();
  }
  out.sample_seed = opts.seed;
  out.eval_seconds = (performance.now() - started) / 1000;
  return out;
}
