/**
 * Feature networks for the image metrics. For MNIST, Fashion-MNIST and CIFAR-10 Gantry trains its own
 * small classifier (seeded, a few epochs of Adam) and caches the weights under the user's cache folder;
 * its penultimate layer (dense 128/256 after ReLU) gives the features for FID/KID/P&R/D&C and its softmax
 * the class probabilities for the inception score, the conditional-class check and the Stacked MNIST mode
 * count. A user-supplied TF.js layers model (model.json + weight files) can be used instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers all of them
// (training needs them), and it loads external layers models.
import * as tfl from '@tensorflow/tfjs-layers';
import { Network, type SequentialSpec } from '../models/network.ts';
import { loadCheckpoint, saveCheckpoint, findCheckpoint } from '../train/checkpoint.ts';
import { loadEvalSet } from '../data/registry.ts';
import { arraySource, imageSetToUnit, type ImageSet } from '../data/dataset.ts';
import { buildClassifierNetworks, classifierLogits, type ClassifierNetworks } from '../families/classifier.ts';
import { validateConfig } from '../families/config.ts';
import { disposeLosses, Trainer } from '../train/trainer.ts';

export type FeatureDataset = 'mnist' | 'fashion-mnist' | 'cifar10' | 'mnist-m';
export const FEATURE_DATASETS: readonly FeatureDataset[] = ['mnist', 'fashion-mnist', 'cifar10', 'mnist-m'];

export interface FeatureNet {
  /** Short protocol name used in metric keys, e.g. 'mnistnet'. */
  readonly name: string;
  /** Identifies these exact weights (cache entry or model path), for caching reference features. */
  readonly key: string;
  /** Accuracy on the dataset's test split (NaN when unknown, e.g. external models). */
  readonly testAccuracy: number;
  /** Input shape [H, W, C] the caller's images must have. */
  readonly inputShape: [number, number, number];
  /** How inputs are resized to the network's size: 'none' or 'bilinear'. */
  readonly resizer: string;
  /** Feature vectors [B, dim] for images [B, H, W, C] in [-1, 1]. */
  features(x: tf.Tensor4D): tf.Tensor2D;
  /** Class probabilities [B, classes]. */
  probs(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

interface Architecture {
  /** Protocol name of the trained classifier. */
  name: string;
  /** Layers up to and including the feature layer. */
  trunk: SequentialSpec;
  classes: number;
  /** Default epochs, fixed or from the training-set size. */
  epochs: number | ((trainCount: number) => number);
  batchSize: number;
  lr: number;
}

const conv = (filters: number, kernel: number, stride: number) => ({ type: 'conv2d' as const, filters, kernel, stride, pad: 'same' as const });
const relu = { type: 'act' as const, fn: 'relu' as const };

/**
 * 28×28 digits (grayscale, or colour for MNIST-M): two stride-2 convs and a dense feature layer, ~0.5 M multiply-adds per image, so
 * that an epoch of MNIST takes under a minute on one wasm thread (98.8% test accuracy after 3).
 */
function digitArchitecture(name: string, channels = 1, width = 16, epochs = 3): Architecture {
  return {
    name,
    trunk: {
      inputShape: [28, 28, channels],
      layers: [conv(width, 5, 2), relu, conv(2 * width, 3, 2), relu, { type: 'flatten' }, { type: 'dense', units: 128 }, relu],
    },
    classes: 10,
    epochs,
    batchSize: 128,
    lr: 2e-3,
  };
}

const ARCHITECTURES: Record<FeatureDataset, () => Architecture> = {
  mnist: () => digitArchitecture('mnistnet'),
  'fashion-mnist': () => digitArchitecture('fashionnet'),
  // The MNIST-M-like digits (colour, 28×28): the same net on 3 channels, twice as wide and trained longer,
  // as textured backgrounds are harder to read (16 wide, 3 epochs: 94.3% on the CIFAR-patch test split).
  'mnist-m': () => ({
    name: 'mnistmnet',
    trunk: {
      inputShape: [28, 28, 3],
      layers: [conv(32, 3, 1), relu, conv(64, 3, 2), relu, conv(64, 3, 2), relu, { type: 'flatten' }, { type: 'dense', units: 128 }, relu],
    },
    classes: 10,
    epochs: 4,
    batchSize: 128,
    lr: 2e-3,
  }),
  cifar10: () => ({
    name: 'cifarnet',
    trunk: {
      inputShape: [32, 32, 3],
      layers: [
        conv(32, 3, 2), relu, conv(64, 3, 2), relu, conv(128, 3, 2), relu,
        { type: 'flatten' }, { type: 'dense', units: 256 }, relu,
      ],
    },
    classes: 10,
    // Enough passes to see ~30k images, within 2..8 epochs (full CIFAR-10: 2; a 4k subset: 8).
    epochs: (trainCount) => Math.max(2, Math.min(8, Math.ceil(30_000 / trainCount))),
    batchSize: 64,
    lr: 1e-3,
  }),
};

export interface FeatureNetOptions {
  /** Data folder for the dataset (required for cifar10, optional for the MNIST-layout sets). */
  dataDir?: string;
  seed?: number;
  /** Training epochs; default per architecture (MNIST-like 3; CIFAR-10 2–8 by training-set size). */
  epochs?: number;
  /** Train on only the first `trainLimit` training images (quick tests). */
  trainLimit?: number;
  /** Evaluate on only the first `testLimit` test images. */
  testLimit?: number;
  /** Cache folder; default $GANTRY_CACHE, else $XDG_CACHE_HOME/gantry, else ~/.cache/gantry. */
  cacheDir?: string;
  /** Ignore a cached net and train again (the cache entry is overwritten). */
  retrain?: boolean;
  /** Progress messages (training only). */
  log?: (message: string) => void;
}

/** Cached training record kept beside the weights (in the checkpoint's state.json `extra`). */
export interface FeatureNetInfo {
  architecture: string;
  dataset: FeatureDataset;
  seed: number;
  epochs: number;
  train_count: number;
  test_count: number;
  test_accuracy: number;
  train_seconds: number;
  spec: SequentialSpec;
  backend: string;
}

export function cacheRoot(): string {
  if (process.env.GANTRY_CACHE) return process.env.GANTRY_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? xdg : path.join(os.homedir(), '.cache'), 'gantry');
}

function checkDataset(dataset: string): asserts dataset is FeatureDataset {
  if (!(FEATURE_DATASETS as readonly string[]).includes(dataset)) {
    throw new Error(`no built-in feature network for dataset '${dataset}': expected one of ${FEATURE_DATASETS.join(', ')} (or load an external model)`);
  }
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** Own classifier: trunk (to the feature layer) plus a linear head. */
class TrainedFeatureNet implements FeatureNet {
  readonly resizer = 'none';
  readonly inputShape: [number, number, number];
  testAccuracy = NaN;

  key = '';

  constructor(
    readonly name: string,
    private nets: ClassifierNetworks,
    /** Disposes the networks (and the trainer that trained them, when there was one). */
    private release: () => void,
  ) {
    this.inputShape = nets.trunk.shapes[nets.trunk.inputNames[0]!] as [number, number, number];
  }

  get trunk(): Network {
    return this.nets.trunk;
  }

  get head(): Network {
    return this.nets.head;
  }

  /** Takes over networks trained elsewhere (the trainer's), releasing the ones built for loading. */
  adopt(nets: ClassifierNetworks, release: () => void): void {
    this.release();
    this.nets = nets;
    this.release = release;
  }

  logits(x: tf.Tensor4D, training = false): tf.Tensor2D {
    return classifierLogits(this.nets, x, training);
  }

  features(x: tf.Tensor4D): tf.Tensor2D {
    checkInput(this, x);
    return this.trunk.apply(x, { training: false }) as tf.Tensor2D;
  }

  probs(x: tf.Tensor4D): tf.Tensor2D {
    checkInput(this, x);
    return tf.tidy(() => tf.softmax(this.logits(x)));
  }

  variables(): tf.Variable[] {
    return [...this.trunk.variables(), ...this.head.variables()];
  }

  /** Variables keyed `<arch>/<network>/<layer>/<name>` (no instance scope), as stored in the cache. */
  namedVariables(): [string, tf.Variable][] {
    return [this.trunk, this.head].flatMap((n) => n.variables().map((v): [string, tf.Variable] => [`${this.name}/${n.keyOfVariable(v)}`, v]));
  }

  dispose(): void {
    this.release();
  }
}

function checkInput(net: FeatureNet, x: tf.Tensor): void {
  const [, h, w, c] = x.shape;
  const [eh, ew, ec] = net.inputShape;
  if (x.rank !== 4 || h !== eh || w !== ew || c !== ec) {
    throw new Error(`feature net ${net.name}: expected images [B, ${eh}, ${ew}, ${ec}], got [${x.shape}]`);
  }
}

let instances = 0;

/** The classifier's networks outside a trainer (for cached weights); the classifier family builds the same. */
function buildNet(arch: Architecture, seed: number): TrainedFeatureNet {
  const scope = `${arch.name}#${++instances}/`;
  const nets = buildClassifierNetworks(arch.trunk, arch.classes, seed, (name, spec, rng) => new Network(name, spec, rng, { scope }));
  return new TrainedFeatureNet(arch.name, nets, () => {
    nets.trunk.dispose();
    nets.head.dispose();
  });
}

/**
 * The dataset's classifier: loaded from the cache when a net trained with the same architecture,
 * seed, epochs and data selection is there, else trained now (and cached).
 */
export async function getFeatureNet(dataset: FeatureDataset, opts: FeatureNetOptions = {}): Promise<FeatureNet> {
  checkDataset(dataset);
  const arch = ARCHITECTURES[dataset]();
  const seed = opts.seed ?? 0;
  if (opts.epochs !== undefined && !(Number.isInteger(opts.epochs) && opts.epochs >= 1)) {
    throw new Error(`feature net epochs must be a positive integer, got ${opts.epochs}`);
  }
  const epochsLabel = opts.epochs ?? (typeof arch.epochs === 'number' ? arch.epochs : 'auto');
  const dataKey = [
    opts.trainLimit !== undefined ? `n${opts.trainLimit}` : '',
    opts.testLimit !== undefined ? `t${opts.testLimit}` : '',
    opts.dataDir ? `d${shortHash(path.resolve(opts.dataDir))}` : '',
  ].filter(Boolean);
  const key = [arch.name, dataset, shortHash(JSON.stringify(arch.trunk)), `seed${seed}`, `ep${epochsLabel}`, ...dataKey].join('-');
  const dir = path.join(opts.cacheDir ?? cacheRoot(), 'feature-nets', key);
  const net = buildNet(arch, seed);
  net.key = key;
  try {
    if (!opts.retrain && findCheckpoint(dir)) {
      net.testAccuracy = restoreWeights(net, dir).test_accuracy;
      return net;
    }
    const info = await trainFeatureNet(net, arch, dataset, { ...opts, seed });
    await saveCheckpoint(dir, info.epochs, Object.fromEntries(net.namedVariables()), { ...info });
    opts.log?.(`${arch.name}: cached in ${dir}`);
    return net;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** Loads cached weights into `net`, checking that every variable is present with its shape. */
function restoreWeights(net: TrainedFeatureNet, dir: string): FeatureNetInfo {
  const { meta, tensors } = loadCheckpoint(dir);
  try {
    for (const [name, v] of net.namedVariables()) {
      const t = tensors[name];
      if (!t) throw new Error(`cached feature net ${dir}: variable ${name} is missing (delete the folder to retrain)`);
      if (!tf.util.arraysEqual(t.shape, v.shape)) {
        throw new Error(`cached feature net ${dir}: ${name} has shape [${t.shape}], expected [${v.shape}] (delete the folder to retrain)`);
      }
      v.assign(t);
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return meta.extra as unknown as FeatureNetInfo;
}

async function loadSplit(dataset: FeatureDataset, split: 'train' | 'test', dir: string | undefined, limit: number | undefined): Promise<ImageSet> {
  const set = await loadEvalSet({ name: dataset, dir, limit }, split);
  if (!set.labels) throw new Error(`${dataset} ${split} split has no labels: cannot train a classifier`);
  return set;
}

/**
 * Seeded mini-batch Adam on softmax cross-entropy through the classifier family and the generic trainer:
 * each epoch one permutation (stream 'feature-net-batches'), whole batches only, the last epoch at a
 * tenth of the learning rate. Returns the record that goes into the cache.
 */
async function trainFeatureNet(
  net: TrainedFeatureNet,
  arch: Architecture,
  dataset: FeatureDataset,
  opts: FeatureNetOptions & { seed: number },
): Promise<FeatureNetInfo> {
  const train = await loadSplit(dataset, 'train', opts.dataDir, opts.trainLimit);
  const test = await loadSplit(dataset, 'test', opts.dataDir, opts.testLimit);
  const epochs = opts.epochs ?? (typeof arch.epochs === 'number' ? arch.epochs : arch.epochs(train.count));
  const expected = arch.trunk.inputShape;
  if (!train.shape.every((d, i) => d === expected[i])) {
    throw new Error(`${dataset}: images are [${train.shape}], the ${arch.name} architecture expects [${expected}]`);
  }
  const started = performance.now();
  const batchSize = Math.min(arch.batchSize, train.count);
  const stepsPerEpoch = Math.floor(train.count / batchSize);
  const cfg = validateConfig(
    {
      name: arch.name,
      seed: opts.seed,
      data: { name: dataset },
      // beta1 0.9: Adam's usual default (the GAN presets use 0.5).
      model: { family: 'classifier', trunk: arch.trunk.layers, classes: arch.classes, optimizer: { type: 'adam', lr: arch.lr, beta1: 0.9, beta2: 0.999 } },
      train: {
        steps: epochs * stepsPerEpoch,
        batchSize,
        lrDrops: epochs > 1 ? [{ at: (epochs - 1) * stepsPerEpoch, factor: 0.1 }] : [],
      },
    },
    `${arch.name} training`,
  );
  const source = arraySource(dataset, train, opts.seed, { stream: 'feature-net-batches', dropLast: true });
  const trainer = new Trainer(cfg, source);
  net.adopt({ trunk: trainer.network('trunk'), head: trainer.network('head') }, () => trainer.dispose());
  for (let epoch = 0; epoch < epochs; epoch++) {
    let lossSum: tf.Scalar = tf.scalar(0);
    for (let step = 0; step < stepsPerEpoch; step++) {
      const losses = trainer.trainStep();
      const nextSum = tf.add(lossSum, losses.loss!) as tf.Scalar;
      disposeLosses(losses);
      lossSum.dispose();
      lossSum = nextSum;
    }
    const meanLoss = (await lossSum.data())[0]! / stepsPerEpoch;
    lossSum.dispose();
    opts.log?.(`${arch.name}: epoch ${epoch + 1}/${epochs} loss ${meanLoss.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const predicted = classify(net, imageSetToUnit(test), test.count, test.shape);
  let correct = 0;
  for (let i = 0; i < test.count; i++) if (predicted[i] === test.labels![i]) correct++;
  net.testAccuracy = correct / test.count;
  opts.log?.(`${arch.name}: test accuracy ${(100 * net.testAccuracy).toFixed(2)}% on ${test.count} images, trained in ${trainSeconds.toFixed(0)} s`);
  return {
    architecture: arch.name,
    dataset,
    seed: opts.seed,
    epochs,
    train_count: train.count,
    test_count: test.count,
    test_accuracy: net.testAccuracy,
    train_seconds: trainSeconds,
    spec: arch.trunk,
    backend: tf.getBackend(),
  };
}

function checkImages(what: string, images: Float32Array, count: number, shape: readonly number[]): number {
  const per = shape.reduce((a, b) => a * b, 1);
  if (shape.length !== 3) throw new Error(`${what}: image shape must be [H, W, C], got [${shape}]`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`${what}: count must be a positive integer, got ${count}`);
  if (images.length < count * per) throw new Error(`${what}: ${images.length} values hold fewer than ${count} images of [${shape}]`);
  return per;
}

/** Runs `fn` over batches of images; each result row is copied out, so the caller holds no tensors. */
function mapBatches(images: Float32Array, count: number, shape: readonly number[], batch: number, fn: (x: tf.Tensor4D) => tf.Tensor2D[]): Float32Array[] {
  const per = checkImages('feature extraction', images, count, shape);
  const outputs: Float32Array[] = [];
  const widths: number[] = [];
  for (let start = 0; start < count; start += batch) {
    const m = Math.min(batch, count - start);
    const results = tf.tidy(() => fn(tf.tensor4d(images.subarray(start * per, (start + m) * per), [m, shape[0]!, shape[1]!, shape[2]!])));
    results.forEach((r, k) => {
      if (start === 0) {
        widths.push(r.shape[1]);
        outputs.push(new Float32Array(count * r.shape[1]));
      }
      outputs[k]!.set(r.dataSync() as Float32Array, start * widths[k]!);
    });
    tf.dispose(results);
  }
  return outputs;
}

/** Features and class probabilities of `count` images (row-major [count, ...shape]), in batches. */
export function extract(
  net: FeatureNet,
  images: Float32Array,
  count: number,
  shape: readonly number[],
  batch = 500,
): { feats: Float32Array; dim: number; probs: Float32Array; classes: number } {
  const [feats, probs] = mapBatches(images, count, shape, batch, (x) => [net.features(x), net.probs(x)]);
  return { feats: feats!, dim: feats!.length / count, probs: probs!, classes: probs!.length / count };
}

/** Predicted class (argmax) of each image. */
export function classify(net: FeatureNet, images: Float32Array, count: number, shape: readonly number[], batch = 500): Int32Array {
  const [probs] = mapBatches(images, count, shape, batch, (x) => [net.probs(x)]);
  const classes = probs!.length / count;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs![i * classes + c]! > probs![i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** One channel of NHWC images as single-channel images (Stacked MNIST: each channel is a digit). */
export function channelOf(images: Float32Array, count: number, shape: readonly number[], channel: number): Float32Array {
  const [h, w, c] = shape as [number, number, number];
  if (channel < 0 || channel >= c) throw new Error(`channel ${channel} out of range for images with ${c} channels`);
  const pixels = count * h * w;
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = images[p * c + channel]!;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// External TF.js layers models

/** Reads a TF.js layers model (model.json + the weight files its manifest lists) from disk. */
export function fileIOHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      if (!fs.existsSync(modelJsonPath)) throw new Error(`model file not found: ${modelJsonPath}`);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(`${modelJsonPath}: not valid JSON (${(e as Error).message})`, { cause: e });
      }
      if (!json.modelTopology) throw new Error(`${modelJsonPath}: no 'modelTopology' field; expected a TF.js layers model.json`);
      const manifest = json.weightsManifest ?? [];
      const dir = path.dirname(modelJsonPath);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of manifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(dir, p);
          if (!fs.existsSync(file)) throw new Error(`${modelJsonPath}: weight file ${p} listed in weightsManifest is missing (looked for ${file})`);
          buffers.push(fs.readFileSync(file));
        }
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      const { weightsManifest: _m, ...rest } = json;
      return { ...rest, weightSpecs, weightData } as tf.io.ModelArtifacts;
    },
  };
}

export interface ExternalFeatureNetOptions {
  /** Value range the model expects; images in [-1, 1] are mapped linearly to it. Default [-1, 1]. */
  inputRange?: [number, number];
  /** Name recorded in metric keys; default 'ext-<model folder name>-<layer>'. */
  name?: string;
}

/**
 * A user's TF.js layers model as the feature network: features from layer `layerName`, class
 * probabilities from the model's (first) output. Inputs are resized bilinearly to inputSize and
 * grayscale inputs repeated to 3 channels when the model wants colour.
 */
export async function loadExternalFeatureNet(
  modelJsonPath: string,
  layerName: string,
  inputSize: number | [number, number],
  opts: ExternalFeatureNetOptions = {},
): Promise<FeatureNet> {
  const model = await tfl.loadLayersModel(fileIOHandler(modelJsonPath));
  let layer;
  try {
    layer = model.getLayer(layerName);
  } catch {
    const names = model.layers.map((l) => l.name).join(', ');
    model.dispose();
    throw new Error(`${modelJsonPath}: no layer named '${layerName}'; layers are: ${names}`);
  }
  const both = tfl.model({ inputs: model.inputs, outputs: [layer.output as ReturnType<typeof tfl.input>, model.outputs[0]!] });
  const inShape = model.inputs[0]!.shape;
  const [h, w] = typeof inputSize === 'number' ? [inputSize, inputSize] : inputSize;
  const channels = inShape[3] ?? 3;
  const [lo, hi] = opts.inputRange ?? [-1, 1];
  const name = opts.name ?? `ext-${path.basename(path.dirname(path.resolve(modelJsonPath)))}-${layerName}`;
  const prepare = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      let y: tf.Tensor4D = x;
      if (x.shape[1] !== h || x.shape[2] !== w) y = tf.image.resizeBilinear(y, [h, w]);
      if (y.shape[3] === 1 && channels === 3) y = tf.tile(y, [1, 1, 1, 3]);
      if (y.shape[3] !== channels) throw new Error(`${name}: cannot feed ${x.shape[3]}-channel images to a ${channels}-channel model`);
      return lo === -1 && hi === 1 ? y : (tf.add(tf.mul(tf.add(y, 1), (hi - lo) / 2), lo) as tf.Tensor4D);
    });
  const run = (x: tf.Tensor4D) => both.predict(prepare(x)) as tf.Tensor[];
  return {
    name,
    key: `${path.resolve(modelJsonPath)}#${layerName}@${h}x${w}`,
    testAccuracy: NaN,
    // Any spatial size and channel count is accepted: inputs are resized to the model's.
    inputShape: [h, w, channels],
    resizer: 'bilinear',
    features: (x) =>
      tf.tidy(() => {
        const f = run(x)[0]!;
        return tf.reshape(f, [f.shape[0]!, -1]) as tf.Tensor2D;
      }),
    probs: (x) => tf.tidy(() => run(x)[1] as tf.Tensor2D),
    dispose: () => model.dispose(),
  };
}
