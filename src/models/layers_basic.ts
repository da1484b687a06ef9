/**
 * The first layer types: dense and convolutional layers (optionally spectrally normalized), batch norm,
 * activations, shape changes, label conditioning (concat, projection), PacGAN packing, fixed affine maps
 * and the categorical latent code. Label layers take the integer labels [B] as their second input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../backend/batch_norm.ts';
import { leakyRelu, stopGradient } from '../backend/ops.ts';
import { registerLayer, shapeSize, type BuiltLayer, type LayerImpl } from './layer_api.ts';

export type Activation = 'relu' | 'lrelu' | 'tanh' | 'sigmoid' | 'linear';

export interface DenseSpec { type: 'dense'; units: number; sn?: boolean; bias?: boolean }
/** `pad`: TF's 'same' / 'valid', or a number p of zero rows and columns on every side (PyTorch's `padding=p`). */
export interface Conv2dSpec { type: 'conv2d'; filters: number; kernel: number; stride: number; pad: 'same' | 'valid' | number; sn?: boolean; bias?: boolean }
/**
 * Output H·stride × W·stride ('same', the default), or with a number `pad` PyTorch's ConvTranspose2d
 * geometry: (H − 1)·stride + kernel − 2·pad + outputPadding (outputPadding < stride, default 0).
 */
export interface Conv2dTransposeSpec { type: 'conv2dTranspose'; filters: number; kernel: number; stride: number; pad?: 'same' | number; outputPadding?: number; sn?: boolean; bias?: boolean }
export interface BatchNormSpec { type: 'batchNorm'; momentum?: number; epsilon?: number }
export interface ActSpec { type: 'act'; fn: Activation; alpha?: number }
export interface ReshapeSpec { type: 'reshape'; shape: number[] }
export interface FlattenSpec { type: 'flatten' }
/** Appends the one-hot label (second input): to a vector as extra features, to an image as constant channel maps. */
export interface ConcatLabelSpec { type: 'concatLabel' }
/**
 * Projection discriminator head (Miyato & Koyama 2018): one logit w·h + b + embed[label]·h from a flat
 * feature vector h, so the label is judged against D's learned features rather than raw pixels.
 */
export interface ProjectLabelSpec { type: 'projectLabel'; sn?: boolean }
/** PacGAN packing: n samples are judged jointly, [B, ...] -> [B/n, ..., n·C]. */
export interface PackSpec { type: 'pack'; n: number }
/** Fixed y = x·scale + offset (no variables): maps data ranges to and from [−1, 1]. */
export interface AffineSpec { type: 'affine'; scale: number; offset: number }
/**
 * Mixed discrete/continuous latent: the first k entries of a standard-normal latent become the one-hot of
 * their argmax (a uniform categorical code, since the argmax of i.i.d. normals is uniform), the rest pass
 * through, times noiseScale (default 1). Lets an MLP generator learn a disconnected support.
 */
export interface DiscreteLatentSpec { type: 'discreteLatent'; components: number; noiseScale?: number }

export type BasicLayerSpec = DenseSpec | Conv2dSpec | Conv2dTransposeSpec | BatchNormSpec | ActSpec | ReshapeSpec | FlattenSpec
  | ConcatLabelSpec | ProjectLabelSpec | PackSpec | AffineSpec | DiscreteLatentSpec;

function needRank(id: string, what: string, shape: number[], rank: number, desc: string): void {
  if (shape.length !== rank) throw new Error(`${id}: ${what} needs ${desc}, got [${shape}]`);
}

/**
 * Spectral normalization (Miyato et al. 2018): one power iteration per training forward pass,
 * W / sigma with u, v held constant for the gradient.
 */
function spectralNormalize(kernel: tf.Variable, u: tf.Variable, outAxisLast: boolean, training: boolean): tf.Tensor {
  const outDim = u.shape[1]!;
  // W as a matrix [fanIn, out]: for transposed convs the "out" of the linear map is the in-channel axis.
  const w2 = outAxisLast ? tf.reshape(kernel, [-1, outDim]) : tf.reshape(tf.transpose(kernel, [0, 1, 3, 2]), [-1, outDim]);
  const normalize = (t: tf.Tensor) => tf.div(t, tf.add(tf.norm(t), 1e-12));
  const vHat = normalize(tf.matMul(u, w2, false, true)); // [1, fanIn]
  const uHat = normalize(tf.matMul(vHat, w2)); // [1, out]
  const uStop = stopGradient(uHat);
  const vStop = stopGradient(vHat);
  if (training) u.assign(uStop);
  const sigma = tf.sum(tf.mul(tf.matMul(vStop, w2), uStop));
  return tf.div(kernel, sigma);
}

function kernelOf(layer: BuiltLayer, training: boolean, outAxisLast = true): tf.Tensor {
  const k = layer.params.kernel!;
  const u = layer.state.u;
  return u ? spectralNormalize(k, u, outAxisLast, training) : k;
}

const addBias = (layer: BuiltLayer, h: tf.Tensor) => (layer.params.bias ? tf.add(h, layer.params.bias) : h);

function labelOneHot(labels: tf.Tensor | undefined, numClasses: number): tf.Tensor2D {
  if (!labels) throw new Error('this network is conditional: labels are required');
  return tf.cast(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, numClasses), 'float32') as tf.Tensor2D;
}

const dense: LayerImpl<DenseSpec> = {
  type: 'dense',
  build(ctx, spec, [inShape]) {
    needRank(ctx.id, 'dense', inShape!, 1, 'a flat input');
    const fanIn = inShape![0]!;
    ctx.param('kernel', ctx.initWeights([fanIn, spec.units], fanIn));
    if (spec.bias !== false) ctx.param('bias', tf.zeros([spec.units]));
    if (spec.sn) ctx.state('u', tf.tensor(ctx.rng.normalArray(spec.units), [1, spec.units]));
    return [spec.units];
  },
  apply: (layer, [x], opts) => addBias(layer, tf.matMul(x as tf.Tensor2D, kernelOf(layer, opts.training) as tf.Tensor2D)),
};

const conv2d: LayerImpl<Conv2dSpec> = {
  type: 'conv2d',
  build(ctx, spec, [inShape]) {
    needRank(ctx.id, 'conv2d', inShape!, 3, '[H, W, C]');
    const [h, w, c] = inShape as [number, number, number];
    const fanIn = spec.kernel * spec.kernel * c;
    ctx.param('kernel', ctx.initWeights([spec.kernel, spec.kernel, c, spec.filters], fanIn));
    if (spec.bias !== false) ctx.param('bias', tf.zeros([spec.filters]));
    if (spec.sn) ctx.state('u', tf.tensor(ctx.rng.normalArray(spec.filters), [1, spec.filters]));
    const pad = spec.pad;
    if (typeof pad === 'number' ? !(Number.isInteger(pad) && pad >= 0) : pad !== 'same' && pad !== 'valid') {
      throw new Error(`${ctx.id}: conv2d pad must be 'same', 'valid' or a non-negative integer, got ${JSON.stringify(pad)}`);
    }
    const out = (n: number) =>
      pad === 'same' ? Math.ceil(n / spec.stride) : Math.floor((n + 2 * (pad === 'valid' ? 0 : pad) - spec.kernel) / spec.stride) + 1;
    if (out(h) < 1 || out(w) < 1) throw new Error(`${ctx.id}: conv2d kernel ${spec.kernel} does not fit the input [${inShape}]`);
    return [out(h), out(w), spec.filters];
  },
  apply: (layer, [x], opts) =>
    addBias(layer, tf.conv2d(x as tf.Tensor4D, kernelOf(layer, opts.training) as tf.Tensor4D, layer.spec.stride, layer.spec.pad)),
};

const conv2dTranspose: LayerImpl<Conv2dTransposeSpec> = {
  type: 'conv2dTranspose',
  build(ctx, spec, [inShape]) {
    needRank(ctx.id, 'conv2dTranspose', inShape!, 3, '[H, W, C]');
    const [h, w, c] = inShape as [number, number, number];
    const fanIn = spec.kernel * spec.kernel * c;
    // TF.js transposed-conv filters are [kh, kw, outChannels, inChannels].
    ctx.param('kernel', ctx.initWeights([spec.kernel, spec.kernel, spec.filters, c], fanIn));
    if (spec.bias !== false) ctx.param('bias', tf.zeros([spec.filters]));
    if (spec.sn) ctx.state('u', tf.tensor(ctx.rng.normalArray(c), [1, c]));
    const pad = spec.pad ?? 'same';
    const extra = spec.outputPadding ?? 0;
    if (pad === 'same') {
      if (extra !== 0) throw new Error(`${ctx.id}: conv2dTranspose outputPadding needs a numeric pad`);
      return [h * spec.stride, w * spec.stride, spec.filters];
    }
    if (!(Number.isInteger(pad) && pad >= 0) || !(Number.isInteger(extra) && extra >= 0 && extra < spec.stride)) {
      throw new Error(`${ctx.id}: conv2dTranspose needs pad 'same' or an integer ≥ 0 and outputPadding an integer in [0, stride), got ${JSON.stringify(pad)} and ${extra}`);
    }
    // The adjoint of a conv with p zeros before each axis: out[o] = Σ x[i]·w[t] over o = i·stride + t − p.
    const out = (n: number) => (n - 1) * spec.stride + spec.kernel - 2 * pad + extra;
    if (out(h) < 1 || out(w) < 1) throw new Error(`${ctx.id}: conv2dTranspose pad ${pad} is too large for kernel ${spec.kernel}`);
    return [out(h), out(w), spec.filters];
  },
  apply(layer, [x], opts) {
    const [h, w, c] = layer.outShape as [number, number, number];
    const k = kernelOf(layer, opts.training, false) as tf.Tensor4D;
    return addBias(layer, tf.conv2dTranspose(x as tf.Tensor4D, k, [x!.shape[0]!, h, w, c], layer.spec.stride, layer.spec.pad ?? 'same'));
  },
};

const batchNorm: LayerImpl<BatchNormSpec> = {
  type: 'batchNorm',
  build(ctx, _spec, [inShape]) {
    const c = inShape![inShape!.length - 1]!;
    ctx.param('gamma', tf.ones([c]));
    ctx.param('beta', tf.zeros([c]));
    ctx.state('movingMean', tf.zeros([c]));
    ctx.state('movingVar', tf.ones([c]));
    return inShape!.slice();
  },
  apply(layer, [x], opts) {
    const eps = layer.spec.epsilon ?? 1e-5;
    const momentum = layer.spec.momentum ?? 0.1;
    const { movingMean, movingVar } = layer.state as Record<string, tf.Variable>;
    const { gamma, beta } = layer.params as Record<string, tf.Variable>;
    if (opts.training) {
      // One fused kernel forward and one backward on the native engine, composite ops elsewhere.
      const { y, mean, variance } = batchNormTraining(x!, gamma as tf.Tensor1D, beta as tf.Tensor1D, eps, { twiceDifferentiable: opts.twiceDifferentiable });
      const n = x!.size / mean.size;
      movingMean!.assign(tf.add(tf.mul(movingMean!, 1 - momentum), tf.mul(stopGradient(mean), momentum)));
      // Running variance is the unbiased estimate, as in PyTorch.
      const unbiased = tf.mul(stopGradient(variance), n / Math.max(n - 1, 1));
      movingVar!.assign(tf.add(tf.mul(movingVar!, 1 - momentum), tf.mul(unbiased, momentum)));
      return y;
    }
    const scale = tf.mul(gamma!, tf.rsqrt(tf.add(movingVar!, eps)));
    return tf.add(tf.mul(tf.sub(x!, movingMean!), scale), beta!);
  },
};

const act: LayerImpl<ActSpec> = {
  type: 'act',
  build(ctx, spec, [inShape]) {
    if (!['relu', 'lrelu', 'tanh', 'sigmoid', 'linear'].includes(spec.fn)) throw new Error(`${ctx.id}: unknown activation '${String(spec.fn)}'`);
    return inShape!.slice();
  },
  apply(layer, [x]) {
    switch (layer.spec.fn) {
      case 'relu':
        return tf.relu(x!);
      case 'lrelu':
        return leakyRelu(x!, layer.spec.alpha ?? 0.2);
      case 'tanh':
        return tf.tanh(x!);
      case 'sigmoid':
        return tf.sigmoid(x!);
      case 'linear':
        return x!;
    }
  },
};

const reshape: LayerImpl<ReshapeSpec> = {
  type: 'reshape',
  build(ctx, spec, [inShape]) {
    if (shapeSize(spec.shape) !== shapeSize(inShape!)) throw new Error(`${ctx.id}: cannot reshape [${inShape}] to [${spec.shape}]`);
    return spec.shape.slice();
  },
  apply: (layer, [x]) => tf.reshape(x!, [x!.shape[0]!, ...layer.spec.shape]),
};

const flatten: LayerImpl<FlattenSpec> = {
  type: 'flatten',
  build: (_ctx, _spec, [inShape]) => [shapeSize(inShape!)],
  apply: (_layer, [x]) => tf.reshape(x!, [x!.shape[0]!, -1]),
};

const concatLabel: LayerImpl<ConcatLabelSpec> = {
  type: 'concatLabel',
  arity: 2,
  build(ctx, _spec, [inShape]) {
    if (ctx.numClasses <= 0) throw new Error(`${ctx.id}: concatLabel needs numClasses > 0`);
    const out = inShape!.slice();
    out[out.length - 1]! += ctx.numClasses;
    return out;
  },
  apply(layer, [x, labels]) {
    const oneHot = labelOneHot(labels, layer.numClasses);
    if (x!.rank === 2) return tf.concat([x!, oneHot], 1);
    const [batch, h, w] = x!.shape as number[];
    const maps = tf.mul(tf.reshape(oneHot, [batch!, 1, 1, layer.numClasses]), tf.ones([1, h!, w!, 1]));
    return tf.concat([x!, maps], x!.rank - 1);
  },
};

const projectLabel: LayerImpl<ProjectLabelSpec> = {
  type: 'projectLabel',
  arity: 2,
  build(ctx, spec, [inShape]) {
    if (ctx.numClasses <= 0) throw new Error(`${ctx.id}: projectLabel needs numClasses > 0`);
    needRank(ctx.id, 'projectLabel', inShape!, 1, 'a flat input');
    const fanIn = inShape![0]!;
    ctx.param('kernel', ctx.initWeights([fanIn, 1], fanIn));
    ctx.param('bias', tf.zeros([1]));
    ctx.param('embed', ctx.initWeights([ctx.numClasses, fanIn], fanIn));
    if (spec.sn) ctx.state('u', tf.tensor(ctx.rng.normalArray(1), [1, 1]));
    return [1];
  },
  apply(layer, [x, labels], opts) {
    const oneHot = labelOneHot(labels, layer.numClasses);
    const linear = addBias(layer, tf.matMul(x as tf.Tensor2D, kernelOf(layer, opts.training) as tf.Tensor2D));
    const embedded = tf.matMul(oneHot, layer.params.embed! as tf.Tensor2D);
    return tf.add(linear, tf.sum(tf.mul(embedded, x!), 1, true));
  },
};

const pack: LayerImpl<PackSpec> = {
  type: 'pack',
  build(_ctx, spec, [inShape]) {
    const out = inShape!.slice();
    out[out.length - 1]! *= spec.n;
    return out;
  },
  apply(layer, [x]) {
    const n = layer.spec.n;
    const batch = x!.shape[0]!;
    if (batch % n !== 0) throw new Error(`pack ${n}: batch size ${batch} is not a multiple of ${n}`);
    const inner = x!.shape.slice(1, -1);
    const c = x!.shape[x!.rank - 1]!;
    // [B, ..., C] -> [B/n, n, ..., C] -> [B/n, ..., n, C] -> [B/n, ..., n·C]
    const grouped = tf.reshape(x!, [batch / n, n, ...inner, c]);
    const perm = [0, ...inner.map((_, i) => i + 2), 1, inner.length + 2];
    return tf.reshape(tf.transpose(grouped, perm), [batch / n, ...inner, n * c]);
  },
};

const affine: LayerImpl<AffineSpec> = {
  type: 'affine',
  build: (_ctx, _spec, [inShape]) => inShape!.slice(),
  apply: (layer, [x]) => tf.add(tf.mul(x!, layer.spec.scale), layer.spec.offset),
};

const discreteLatent: LayerImpl<DiscreteLatentSpec> = {
  type: 'discreteLatent',
  build(ctx, spec, [inShape]) {
    if (inShape!.length !== 1 || inShape![0]! <= spec.components || spec.components < 2) {
      throw new Error(`${ctx.id}: discreteLatent with ${spec.components} components needs a flat latent longer than that, got [${inShape}]`);
    }
    return inShape!.slice();
  },
  apply(layer, [x]) {
    const k = layer.spec.components;
    const batch = x!.shape[0]!;
    const code = tf.oneHot(tf.argMax(tf.slice(x!, [0, 0], [batch, k]), 1) as tf.Tensor1D, k);
    const noise = tf.slice(x!, [0, k], [batch, x!.shape[1]! - k]);
    return tf.concat([tf.cast(code, 'float32'), layer.spec.noiseScale === undefined ? noise : tf.mul(noise, layer.spec.noiseScale)], 1);
  },
};

for (const impl of [dense, conv2d, conv2dTranspose, batchNorm, act, reshape, flatten, concatLabel, projectLabel, pack, affine, discreteLatent]) {
  registerLayer(impl as unknown as LayerImpl);
}
