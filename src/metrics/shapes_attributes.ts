/**
 * The `shapes` benchmark's judge: a small CNN with four softmax heads (shape 3, colour 7, size 2,
 * position 5) that Gantry trains on real `shapes` images of all 210 combinations (its own images: seed
 * ATTRIBUTE_DATA_SEED, disjoint from the benchmark's test images) and caches like the feature networks.
 * It reads the attributes of generated images (text-to-image accuracy), and its penultimate layer gives
 * the features for FID/KID on `shapes` (`shapesattrnet` in the keys). The evaluation reports its accuracy
 * on the real test images of each split beside every score.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { COLOUR_NAMES, makeShapesSet, POSITION_NAMES, SHAPE_NAMES, SIZE_NAMES } from '../data/shapes.ts';
import { imageSetToUnit } from '../data/dataset.ts';
import { runInBatches } from '../models/batched.ts';
import { Network, type GraphSpec } from '../models/network.ts';
import { createOptimizer } from '../train/optimizers.ts';
import { findCheckpoint, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.ts';
import { cacheRoot } from './feature_net.ts';

export const ATTRIBUTES = ['shape', 'colour', 'size', 'position'] as const;
export const ATTRIBUTE_CLASSES = [SHAPE_NAMES.length, COLOUR_NAMES.length, SIZE_NAMES.length, POSITION_NAMES.length];
export const ATTRIBUTE_NET_NAME = 'shapesattrnet';
/** Seed of the judge's own training images (not the benchmark's SHAPES_DATA_SEED). */
export const ATTRIBUTE_DATA_SEED = 77;
const TRAIN_PER_SPLIT = { train: 12_000, unseen: 3_000 };
const EPOCHS = 3;
const BATCH = 64;
const FEATURES = 128;

const SPEC: GraphSpec = {
  inputs: { x: { shape: [32, 32, 3] } },
  nodes: [
    { name: 'c1', layer: { type: 'conv2d', filters: 32, kernel: 3, stride: 2, pad: 'same' } },
    { name: 'a1', layer: { type: 'act', fn: 'relu' } },
    { name: 'c2', layer: { type: 'conv2d', filters: 64, kernel: 3, stride: 2, pad: 'same' } },
    { name: 'a2', layer: { type: 'act', fn: 'relu' } },
    { name: 'c3', layer: { type: 'conv2d', filters: 128, kernel: 3, stride: 2, pad: 'same' } },
    { name: 'a3', layer: { type: 'act', fn: 'relu' } },
    { name: 'flat', layer: { type: 'flatten' } },
    { name: 'fc', layer: { type: 'dense', units: FEATURES } },
    { name: 'features', layer: { type: 'act', fn: 'relu' } },
    { name: 'logits', layer: { type: 'dense', units: ATTRIBUTE_CLASSES.reduce((a, b) => a + b, 0) } },
  ],
  outputs: ['logits'],
  taps: { features: 'features' },
};

const PER_IMAGE = 32 * 32 * 3;

export class AttributeNet {
  readonly name = ATTRIBUTE_NET_NAME;
  readonly net: Network;

  constructor(readonly key: string) {
    this.net = new Network('attr', SPEC, new Rng(ATTRIBUTE_DATA_SEED), { scope: `${ATTRIBUTE_NET_NAME}#${++instances}/` });
  }

  private run(images: Float32Array, n: number, per: number, read: (r: Record<string, tf.Tensor>) => tf.Tensor, want: string): Promise<Float32Array> {
    if (images.length !== n * PER_IMAGE) throw new Error(`${this.name}: expected ${n} images of 32×32×3, got ${images.length} values`);
    return runInBatches(n, per, 500, (i, m) => read(this.net.run(tf.tensor4d(images.subarray(i * PER_IMAGE, (i + m) * PER_IMAGE), [m, 32, 32, 3]), { training: false }, [want])));
  }

  /** Predicted [shape, colour, size, position] per image, [n·4], for images [n, 32, 32, 3] in [−1, 1]. */
  async predict(images: Float32Array, n: number): Promise<Int32Array> {
    return Int32Array.from(await this.run(images, n, 4, (r) => tf.cast(argmaxHeads(r.logits as tf.Tensor2D), 'float32'), 'logits'));
  }

  /** Penultimate features [n·128]. */
  features(images: Float32Array, n: number): Promise<Float32Array> {
    return this.run(images, n, FEATURES, (r) => r.features!, 'features');
  }

  dispose(): void {
    this.net.dispose();
  }
}

let instances = 0;

/** Per-attribute softmax cross-entropy, summed over the four heads. */
function attributeLoss(logits: tf.Tensor2D, attrs: tf.Tensor2D): tf.Scalar {
  let offset = 0;
  const terms = ATTRIBUTE_CLASSES.map((k, a) => {
    const l = tf.slice(logits, [0, offset], [-1, k]);
    offset += k;
    const y = tf.oneHot(tf.reshape(tf.slice(attrs, [0, a], [-1, 1]), [-1]) as tf.Tensor1D, k);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(l), y), 1)));
  });
  return tf.addN(terms) as tf.Scalar;
}

function argmaxHeads(logits: tf.Tensor2D): tf.Tensor2D {
  let offset = 0;
  const heads = ATTRIBUTE_CLASSES.map((k) => {
    const a = tf.argMax(tf.slice(logits, [0, offset], [-1, k]), 1);
    offset += k;
    return a;
  });
  return tf.stack(heads, 1) as tf.Tensor2D;
}

/** Fraction of images whose four predicted attributes all match (and per attribute). */
export function attributeAccuracy(predicted: Int32Array, truth: Int32Array): { perAttribute: number[]; all: number } {
  const n = truth.length / 4;
  if (predicted.length !== truth.length || n === 0) throw new Error(`attributeAccuracy: ${predicted.length / 4} predictions for ${n} images`);
  const right = [0, 0, 0, 0];
  let all = 0;
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let a = 0; a < 4; a++) {
      if (predicted[i * 4 + a] === truth[i * 4 + a]) right[a]!++;
      else ok = false;
    }
    if (ok) all++;
  }
  return { perAttribute: right.map((r) => r / n), all: all / n };
}

/**
 * The judge: from the cache when it is there, else trained now (about a minute on one core) and cached.
 */
export async function getAttributeNet(opts: { cacheDir?: string; log?: (m: string) => void } = {}): Promise<AttributeNet> {
  const key = `${ATTRIBUTE_NET_NAME}-seed${ATTRIBUTE_DATA_SEED}-ep${EPOCHS}-n${TRAIN_PER_SPLIT.train + TRAIN_PER_SPLIT.unseen}`;
  const dir = path.join(opts.cacheDir ?? cacheRoot(), 'feature-nets', key);
  const judge = new AttributeNet(key);
  const net = judge.net;
  try {
    if (findCheckpoint(dir)) {
      const { tensors } = loadCheckpoint(dir);
      try {
        for (const v of net.variables()) {
          const t = tensors[net.keyOfVariable(v)];
          if (!t || !tf.util.arraysEqual(t.shape, v.shape)) throw new Error(`cached ${ATTRIBUTE_NET_NAME} ${dir} does not match the network (delete the folder to retrain)`);
          v.assign(t);
        }
      } finally {
        tf.dispose(Object.values(tensors));
      }
      return judge;
    }
    const started = performance.now();
    const parts = [makeShapesSet('train', TRAIN_PER_SPLIT.train, ATTRIBUTE_DATA_SEED), makeShapesSet('unseen', TRAIN_PER_SPLIT.unseen, ATTRIBUTE_DATA_SEED)];
    const count = parts.reduce((n, p) => n + p.images.count, 0);
    const x = new Float32Array(count * 32 * 32 * 3);
    const attrs = new Int32Array(count * 4);
    let at = 0;
    for (const p of parts) {
      x.set(imageSetToUnit(p.images), at * 32 * 32 * 3);
      attrs.set(p.attributes, at * 4);
      at += p.images.count;
    }
    const opt = createOptimizer({ type: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999 });
    const rng = new Rng(ATTRIBUTE_DATA_SEED + 1);
    const per = PER_IMAGE;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const order = rng.permutation(count);
      let lossSum = 0;
      const steps = Math.floor(count / BATCH);
      for (let s = 0; s < steps; s++) {
        const xb = new Float32Array(BATCH * per);
        const ab = new Int32Array(BATCH * 4);
        for (let i = 0; i < BATCH; i++) {
          const j = order[s * BATCH + i]!;
          xb.set(x.subarray(j * per, (j + 1) * per), i * per);
          ab.set(attrs.subarray(j * 4, j * 4 + 4), i * 4);
        }
        const lossValue = tf.tidy(() => {
          const xt = tf.tensor4d(xb, [BATCH, 32, 32, 3]);
          const at2 = tf.tensor2d(ab, [BATCH, 4], 'int32');
          const { value, grads } = tf.variableGrads(() => attributeLoss(net.apply(xt, { training: true }) as tf.Tensor2D, at2), net.trainable);
          opt.apply(net.trainable, net.trainable.map((v) => grads[v.name]!));
          return value.dataSync()[0]!;
        });
        lossSum += lossValue;
      }
      opts.log?.(`${ATTRIBUTE_NET_NAME}: epoch ${epoch + 1}/${EPOCHS} loss ${(lossSum / steps).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    opt.dispose();
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await saveCheckpoint(dir, EPOCHS, Object.fromEntries(net.variables().map((v) => [net.keyOfVariable(v), v])), { architecture: ATTRIBUTE_NET_NAME, seed: ATTRIBUTE_DATA_SEED, epochs: EPOCHS, train_images: count });
    opts.log?.(`${ATTRIBUTE_NET_NAME}: cached in ${dir}`);
    return judge;
  } catch (e) {
    judge.dispose();
    throw e;
  }
}
