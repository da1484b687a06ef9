/**
 * Networks as data: a Network is built from a JSON-serializable spec (a list of layers), so the same
 * spec rebuilds it for EMA copies, checkpoints, and in the browser from an exported model. Layers are
 * written with raw TF.js ops (no tfjs-layers) so every op is twice differentiable (gradient penalty,
 * R1) and every variable is owned, named and ordered for exact checkpoints.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../backend/batch_norm.ts';
import { leakyRelu, stopGradient } from '../backend/ops.ts';
import { Rng } from '../core/rng.ts';

export type Activation = 'relu' | 'lrelu' | 'tanh' | 'sigmoid' | 'linear';

export type LayerSpec =
  | { type: 'dense'; units: number; sn?: boolean; bias?: boolean }
  | { type: 'conv2d'; filters: number; kernel: number; stride: number; pad: 'same' | 'valid'; sn?: boolean; bias?: boolean }
  | { type: 'conv2dTranspose'; filters: number; kernel: number; stride: number; sn?: boolean; bias?: boolean }
  | { type: 'batchNorm'; momentum?: number; epsilon?: number }
  | { type: 'act'; fn: Activation; alpha?: number }
  | { type: 'reshape'; shape: number[] }
  | { type: 'flatten' }
  /** Appends the one-hot label: to a vector as extra features, to an image as constant channel maps. */
  | { type: 'concatLabel' }
  /**
   * Projection discriminator head (Miyato & Koyama 2018): one logit w·h + b + embed[label]·h from a flat
   * feature vector h, so the label is judged against D's learned features rather than raw pixels.
   */
  | { type: 'projectLabel'; sn?: boolean }
  /** PacGAN packing: n samples are judged jointly, [B, ...] -> [B/n, ..., n·C]. */
  | { type: 'pack'; n: number }
  /** Fixed y = x·scale + offset (no variables): maps data ranges to and from [−1, 1]. */
  | { type: 'affine'; scale: number; offset: number }
  /**
   * Mixed discrete/continuous latent: the first k entries of a standard-normal latent become the
   * one-hot of their argmax (a uniform categorical code, since the argmax of i.i.d. normals is uniform),
   * the rest pass through, times noiseScale (default 1). Lets an MLP generator learn a disconnected
   * support (see docs/toy_results.md).
   */
  | { type: 'discreteLatent'; components: number; noiseScale?: number };

export interface NetworkSpec {
  /** Shape of one input, without the batch axis (e.g. [100] for a latent, [28, 28, 1] for an image). */
  inputShape: number[];
  layers: LayerSpec[];
  /** Number of classes for 'concatLabel' layers; 0 when unconditional. */
  numClasses?: number;
  /** Initial weights: N(0, initStd) when set (DCGAN's 0.02), else He-uniform scaled by fan-in. */
  initStd?: number;
}

export interface ApplyOptions {
  training: boolean;
  /** Integer class labels [B] for conditional networks. */
  labels?: tf.Tensor1D;
  /**
   * The output will be differentiated twice (gradient penalty, R1): use only ops with second-order
   * gradients, e.g. composite batch norm instead of the fused native kernel.
   */
  twiceDifferentiable?: boolean;
}

interface BuiltLayer {
  spec: LayerSpec;
  inShape: number[];
  outShape: number[];
  params: Record<string, tf.Variable>;
  state: Record<string, tf.Variable>;
}

export class Network {
  readonly layers: BuiltLayer[] = [];
  /** Trainable variables in a fixed order (layer order, then kernel before bias). */
  readonly trainable: tf.Variable[] = [];
  /** Non-trainable state: batch-norm running statistics, spectral-norm power-iteration vectors. */
  readonly state: tf.Variable[] = [];
  readonly outputShape: number[];

  constructor(readonly name: string, readonly spec: NetworkSpec, rng: Rng) {
    let shape = spec.inputShape.slice();
    spec.layers.forEach((layer, i) => {
      const built = buildLayer(`${name}/${i}_${layer.type}`, layer, shape, spec, rng);
      this.layers.push(built);
      this.trainable.push(...Object.values(built.params));
      this.state.push(...Object.values(built.state));
      shape = built.outShape;
    });
    this.outputShape = shape;
  }

  /** All variables, trainable then state, keyed by their unique names. */
  variables(): tf.Variable[] {
    return [...this.trainable, ...this.state];
  }

  apply(x: tf.Tensor, opts: ApplyOptions): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) h = applyLayer(layer, h, opts, this.spec.numClasses ?? 0);
      return h;
    });
  }

  /** Copies every variable's value from another network built from the same spec. */
  copyFrom(other: Network): void {
    const src = other.variables();
    this.variables().forEach((v, i) => v.assign(src[i]!));
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }

  paramCount(): number {
    return this.trainable.reduce((n, v) => n + v.size, 0);
  }
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function initWeights(rng: Rng, shape: number[], fanIn: number, spec: NetworkSpec): tf.Tensor {
  if (spec.initStd !== undefined) return tf.tensor(rng.normalArray(size(shape), 0, spec.initStd), shape);
  const limit = Math.sqrt(6 / fanIn);
  return tf.tensor(rng.uniformArray(size(shape), -limit, limit), shape);
}

function buildLayer(id: string, layer: LayerSpec, inShape: number[], spec: NetworkSpec, rng: Rng): BuiltLayer {
  const params: Record<string, tf.Variable> = {};
  const state: Record<string, tf.Variable> = {};
  const v = (n: string, t: tf.Tensor, trainable = true) => {
    const variable = tf.variable(t, trainable, `${id}/${n}`);
    t.dispose();
    (trainable ? params : state)[n] = variable;
  };
  let outShape: number[];
  const numClasses = spec.numClasses ?? 0;
  switch (layer.type) {
    case 'dense': {
      if (inShape.length !== 1) throw new Error(`${id}: dense needs a flat input, got [${inShape}]`);
      const fanIn = inShape[0]!;
      v('kernel', initWeights(rng, [fanIn, layer.units], fanIn, spec));
      if (layer.bias !== false) v('bias', tf.zeros([layer.units]));
      if (layer.sn) v('u', tf.tensor(rng.normalArray(layer.units), [1, layer.units]), false);
      outShape = [layer.units];
      break;
    }
    case 'conv2d': {
      if (inShape.length !== 3) throw new Error(`${id}: conv2d needs [H, W, C], got [${inShape}]`);
      const [h, w, c] = inShape as [number, number, number];
      const fanIn = layer.kernel * layer.kernel * c;
      v('kernel', initWeights(rng, [layer.kernel, layer.kernel, c, layer.filters], fanIn, spec));
      if (layer.bias !== false) v('bias', tf.zeros([layer.filters]));
      if (layer.sn) v('u', tf.tensor(rng.normalArray(layer.filters), [1, layer.filters]), false);
      const out = (n: number) => (layer.pad === 'same' ? Math.ceil(n / layer.stride) : Math.floor((n - layer.kernel) / layer.stride) + 1);
      outShape = [out(h), out(w), layer.filters];
      break;
    }
    case 'conv2dTranspose': {
      if (inShape.length !== 3) throw new Error(`${id}: conv2dTranspose needs [H, W, C], got [${inShape}]`);
      const [h, w, c] = inShape as [number, number, number];
      const fanIn = layer.kernel * layer.kernel * c;
      // TF.js transposed-conv filters are [kh, kw, outChannels, inChannels].
      v('kernel', initWeights(rng, [layer.kernel, layer.kernel, layer.filters, c], fanIn, spec));
      if (layer.bias !== false) v('bias', tf.zeros([layer.filters]));
      if (layer.sn) v('u', tf.tensor(rng.normalArray(c), [1, c]), false);
      outShape = [h * layer.stride, w * layer.stride, layer.filters];
      break;
    }
    case 'batchNorm': {
      const c = inShape[inShape.length - 1]!;
      v('gamma', tf.ones([c]));
      v('beta', tf.zeros([c]));
      v('movingMean', tf.zeros([c]), false);
      v('movingVar', tf.ones([c]), false);
      outShape = inShape;
      break;
    }
    case 'act':
      outShape = inShape;
      break;
    case 'reshape':
      if (size(layer.shape) !== size(inShape)) throw new Error(`${id}: cannot reshape [${inShape}] to [${layer.shape}]`);
      outShape = layer.shape.slice();
      break;
    case 'flatten':
      outShape = [size(inShape)];
      break;
    case 'concatLabel':
      if (numClasses <= 0) throw new Error(`${id}: concatLabel needs numClasses > 0`);
      outShape = inShape.slice();
      outShape[outShape.length - 1]! += numClasses;
      break;
    case 'projectLabel': {
      if (numClasses <= 0) throw new Error(`${id}: projectLabel needs numClasses > 0`);
      if (inShape.length !== 1) throw new Error(`${id}: projectLabel needs a flat input, got [${inShape}]`);
      const fanIn = inShape[0]!;
      v('kernel', initWeights(rng, [fanIn, 1], fanIn, spec));
      v('bias', tf.zeros([1]));
      v('embed', initWeights(rng, [numClasses, fanIn], fanIn, spec));
      if (layer.sn) v('u', tf.tensor(rng.normalArray(1), [1, 1]), false);
      outShape = [1];
      break;
    }
    case 'pack':
      outShape = inShape.slice();
      outShape[outShape.length - 1]! *= layer.n;
      break;
    case 'affine':
      outShape = inShape;
      break;
    case 'discreteLatent':
      if (inShape.length !== 1 || inShape[0]! <= layer.components || layer.components < 2) {
        throw new Error(`${id}: discreteLatent with ${layer.components} components needs a flat latent longer than that, got [${inShape}]`);
      }
      outShape = inShape;
      break;
    default:
      throw new Error(`unknown layer type ${(layer as { type: string }).type}`);
  }
  return { spec: layer, inShape, outShape, params, state };
}

/**
 * Spectral normalization (Miyato et al. 2018): one power iteration per training forward pass,
 * W / sigma with u, v held constant for the gradient.
 */
function spectralNormalize(kernel: tf.Variable, u: tf.Variable, outAxisLast: boolean, training: boolean): tf.Tensor {
  const outDim = u.shape[1]!;
  // W as a matrix [fanIn, out]: for transposed convs the "out" of the linear map is the in-channel axis.
  const w2 = outAxisLast
    ? tf.reshape(kernel, [-1, outDim])
    : tf.reshape(tf.transpose(kernel, [0, 1, 3, 2]), [-1, outDim]);
  const normalize = (t: tf.Tensor) => tf.div(t, tf.add(tf.norm(t), 1e-12));
  const vHat = normalize(tf.matMul(u, w2, false, true)); // [1, fanIn]
  const uHat = normalize(tf.matMul(vHat, w2)); // [1, out]
  const uStop = stopGradient(uHat);
  const vStop = stopGradient(vHat);
  if (training) u.assign(uStop);
  const sigma = tf.sum(tf.mul(tf.matMul(vStop, w2), uStop));
  return tf.div(kernel, sigma);
}

function kernelOf(layer: BuiltLayer, training: boolean, outAxisLast: boolean): tf.Tensor {
  const k = layer.params.kernel!;
  const u = layer.state.u;
  return u ? spectralNormalize(k, u, outAxisLast, training) : k;
}

function labelOneHot(opts: ApplyOptions, numClasses: number): tf.Tensor2D {
  if (!opts.labels) throw new Error('this network is conditional: labels are required');
  return tf.cast(tf.oneHot(tf.cast(opts.labels, 'int32'), numClasses), 'float32') as tf.Tensor2D;
}

function applyLayer(layer: BuiltLayer, x: tf.Tensor, opts: ApplyOptions, numClasses: number): tf.Tensor {
  const spec = layer.spec;
  const batch = x.shape[0]!;
  const addBias = (h: tf.Tensor) => (layer.params.bias ? tf.add(h, layer.params.bias) : h);
  switch (spec.type) {
    case 'dense':
      return addBias(tf.matMul(x as tf.Tensor2D, kernelOf(layer, opts.training, true) as tf.Tensor2D));
    case 'conv2d':
      return addBias(tf.conv2d(x as tf.Tensor4D, kernelOf(layer, opts.training, true) as tf.Tensor4D, spec.stride, spec.pad));
    case 'conv2dTranspose': {
      const [h, w, c] = layer.outShape as [number, number, number];
      const k = kernelOf(layer, opts.training, false) as tf.Tensor4D;
      return addBias(tf.conv2dTranspose(x as tf.Tensor4D, k, [batch, h, w, c], spec.stride, 'same'));
    }
    case 'batchNorm': {
      const eps = spec.epsilon ?? 1e-5;
      const momentum = spec.momentum ?? 0.1;
      const { movingMean, movingVar } = layer.state as Record<string, tf.Variable>;
      if (opts.training) {
        // One fused kernel forward and one backward on the native engine, composite ops elsewhere.
        const { y, mean, variance } = batchNormTraining(x, layer.params.gamma! as tf.Tensor1D, layer.params.beta! as tf.Tensor1D, eps,
          { twiceDifferentiable: opts.twiceDifferentiable });
        const n = x.size / mean.size;
        movingMean!.assign(tf.add(tf.mul(movingMean!, 1 - momentum), tf.mul(stopGradient(mean), momentum)));
        // Running variance is the unbiased estimate, as in PyTorch.
        const unbiased = tf.mul(stopGradient(variance), n / Math.max(n - 1, 1));
        movingVar!.assign(tf.add(tf.mul(movingVar!, 1 - momentum), tf.mul(unbiased, momentum)));
        return y;
      }
      const scale = tf.mul(layer.params.gamma!, tf.rsqrt(tf.add(movingVar!, eps)));
      return tf.add(tf.mul(tf.sub(x, movingMean!), scale), layer.params.beta!);
    }
    case 'act':
      switch (spec.fn) {
        case 'relu':
          return tf.relu(x);
        case 'lrelu':
          return leakyRelu(x, spec.alpha ?? 0.2);
        case 'tanh':
          return tf.tanh(x);
        case 'sigmoid':
          return tf.sigmoid(x);
        case 'linear':
          return x;
      }
      throw new Error(`unknown activation ${String(spec.fn)}`);
    case 'reshape':
      return tf.reshape(x, [batch, ...spec.shape]);
    case 'flatten':
      return tf.reshape(x, [batch, -1]);
    case 'concatLabel': {
      const oneHot = labelOneHot(opts, numClasses);
      if (x.rank === 2) return tf.concat([x, oneHot], 1);
      const [, h, w] = x.shape as number[];
      const maps = tf.mul(tf.reshape(oneHot, [batch, 1, 1, numClasses]), tf.ones([1, h!, w!, 1]));
      return tf.concat([x, maps], x.rank - 1);
    }
    case 'affine':
      return tf.add(tf.mul(x, spec.scale), spec.offset);
    case 'projectLabel': {
      const oneHot = labelOneHot(opts, numClasses);
      const linear = addBias(tf.matMul(x as tf.Tensor2D, kernelOf(layer, opts.training, true) as tf.Tensor2D));
      const embedded = tf.matMul(oneHot, layer.params.embed! as tf.Tensor2D);
      return tf.add(linear, tf.sum(tf.mul(embedded, x), 1, true));
    }
    case 'discreteLatent': {
      const k = spec.components;
      const code = tf.oneHot(tf.argMax(tf.slice(x, [0, 0], [batch, k]), 1), k);
      const noise = tf.slice(x, [0, k], [batch, x.shape[1]! - k]);
      return tf.concat([tf.cast(code, 'float32'), spec.noiseScale === undefined ? noise : tf.mul(noise, spec.noiseScale)], 1);
    }
    case 'pack': {
      if (batch % spec.n !== 0) throw new Error(`pack ${spec.n}: batch size ${batch} is not a multiple of ${spec.n}`);
      const inner = x.shape.slice(1, -1);
      const c = x.shape[x.rank - 1]!;
      // [B, ..., C] -> [B/n, n, ..., C] -> [B/n, ..., n, C] -> [B/n, ..., n·C]
      const grouped = tf.reshape(x, [batch / spec.n, spec.n, ...inner, c]);
      const perm = [0, ...inner.map((_, i) => i + 2), 1, inner.length + 2];
      return tf.reshape(tf.transpose(grouped, perm), [batch / spec.n, ...inner, spec.n * c]);
    }
  }
}
