/**
 * ProGAN / StyleGAN building blocks: equalized-learning-rate dense and conv layers, the minibatch
 * standard-deviation feature, per-pixel noise injection and StyleGAN2's modulated convolution.
 *
 * Equalized learning rate (Karras et al. 2018), gain convention: weights are stored N(0, 1/lrMul²)
 * (std 1/lrMul) and multiplied at run time by lrMul · sqrt(1/fanIn), i.e. gain 1 as in StyleGAN2's
 * dense and conv layers; the √2 of a following leaky ReLU is the activation's business. Biases are stored
 * as zeros and multiplied by lrMul. So the effective weight is N(0, 1/fanIn) at init, and Adam's step size
 * on it is lrMul · sqrt(1/fanIn) times the learning rate (StyleGAN's mapping network uses lrMul 0.01).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerLayer, type LayerBuildContext, type LayerImpl } from './layer_api.ts';
import { layerError, needImage, needImageAndStyle, needInputs, needInt, needOneInput, needPositive, perSample } from './layers_common.ts';

/** Equalized dense layer on the last axis ([..., fanIn] → [..., units]); bias default true, lrMul default 1. */
export interface EqDenseSpec { type: 'eqDense'; units: number; lrMul?: number; bias?: boolean }
/** Equalized conv: kernel × kernel, stride default 1, pad default 'same', bias default true. */
export interface EqConv2dSpec { type: 'eqConv2d'; filters: number; kernel: number; stride?: number; pad?: 'same' | 'valid'; bias?: boolean }
/**
 * ProGAN minibatch std: appends one channel holding, per group, the mean over features of the standard
 * deviation over the group. Groups have min(group, B) members (default group 4); sample b is in group
 * b mod (B / G), as in StyleGAN. B must be a multiple of the group size.
 */
export interface MinibatchStdSpec { type: 'minibatchStd'; group?: number }
/**
 * Noise injection: x + scale_c · n with n ~ N(0, 1) of shape [B, H, W, 1] drawn from `opts.noise`
 * (B·H·W normals, row-major), scale a learned per-channel vector initialised to 0. Without a noise
 * stream the layer is the identity.
 */
export interface NoiseSpec { type: 'noise' }
/**
 * StyleGAN2 modulated convolution, inputs [x [H, W, Cin], style [Cin]]: per sample, the weight
 * w'[k, i, o] = c · w[k, i, o] · s[i] (c the equalized scale), optionally demodulated by
 * d[o] = 1 / sqrt(Σ_{k,i} w'[k, i, o]² + 1e-8) (default true); 'same' padding, stride 1, no bias.
 */
export interface ModConvSpec { type: 'modConv'; filters: number; kernel: number; demodulate?: boolean }

export type StyleLayerSpec = EqDenseSpec | EqConv2dSpec | MinibatchStdSpec | NoiseSpec | ModConvSpec;

/** A weight of the given shape stored N(0, (1/lrMul)²), for equalized learning rate. */
function eqWeight(ctx: LayerBuildContext, shape: number[], lrMul: number): void {
  const n = shape.reduce((a, b) => a * b, 1);
  ctx.param('kernel', tf.tensor(ctx.rng.normalArray(n, 0, 1 / lrMul), shape));
}

const eqDense: LayerImpl<EqDenseSpec> = {
  type: 'eqDense',
  build(ctx, spec, inShapes) {
    const shape = needOneInput(ctx, 'eqDense', inShapes, 'a feature axis');
    const units = needInt(ctx, 'eqDense', 'units', spec.units);
    const lrMul = needPositive(ctx, 'eqDense', 'lrMul', spec.lrMul ?? 1);
    eqWeight(ctx, [shape[shape.length - 1]!, units], lrMul);
    if (spec.bias !== false) ctx.param('bias', tf.zeros([units]));
    return [...shape.slice(0, -1), units];
  },
  apply(layer, [x]) {
    const { kernel, bias } = layer.params;
    const [fanIn, units] = kernel!.shape as [number, number];
    const lrMul = layer.spec.lrMul ?? 1;
    const flat = tf.reshape(x!, [-1, fanIn]) as tf.Tensor2D;
    let y: tf.Tensor = tf.matMul(flat, tf.mul(kernel!, lrMul / Math.sqrt(fanIn)) as tf.Tensor2D);
    if (bias) y = tf.add(y, lrMul === 1 ? bias : tf.mul(bias, lrMul));
    return tf.reshape(y, [...x!.shape.slice(0, -1), units]);
  },
};

const eqConv2d: LayerImpl<EqConv2dSpec> = {
  type: 'eqConv2d',
  build(ctx, spec, inShapes) {
    needInputs(ctx, 'eqConv2d', inShapes, 1);
    const [h, w, c] = needImage(ctx, 'eqConv2d', inShapes[0]!);
    const filters = needInt(ctx, 'eqConv2d', 'filters', spec.filters);
    const k = needInt(ctx, 'eqConv2d', 'kernel', spec.kernel);
    const stride = needInt(ctx, 'eqConv2d', 'stride', spec.stride ?? 1);
    const pad = spec.pad ?? 'same';
    if (pad !== 'same' && pad !== 'valid') throw layerError(ctx.id, 'eqConv2d', `pad must be 'same' or 'valid', got '${String(pad)}'`);
    const out = (n: number) => (pad === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1);
    if (out(h) < 1 || out(w) < 1) throw layerError(ctx.id, 'eqConv2d', `kernel ${k} does not fit the input [${inShapes[0]}]`);
    eqWeight(ctx, [k, k, c, filters], 1);
    if (spec.bias !== false) ctx.param('bias', tf.zeros([filters]));
    return [out(h), out(w), filters];
  },
  apply(layer, [x]) {
    const { kernel, bias } = layer.params;
    const [k, , c] = kernel!.shape;
    const w = tf.mul(kernel!, 1 / Math.sqrt(k! * k! * c!)) as tf.Tensor4D;
    const y = tf.conv2d(x as tf.Tensor4D, w, layer.spec.stride ?? 1, layer.spec.pad ?? 'same');
    return bias ? tf.add(y, bias) : y;
  },
};

const minibatchStd: LayerImpl<MinibatchStdSpec> = {
  type: 'minibatchStd',
  build(ctx, spec, inShapes) {
    const shape = needOneInput(ctx, 'minibatchStd', inShapes);
    needInt(ctx, 'minibatchStd', 'group', spec.group ?? 4);
    return [...shape.slice(0, -1), shape[shape.length - 1]! + 1];
  },
  apply(layer, [x]) {
    const b = x!.shape[0]!;
    const g = Math.min(layer.spec.group ?? 4, b);
    if (b % g !== 0) throw layerError(layer.id, 'minibatchStd', `needs a batch divisible by the group size ${g}, got batch ${b}`);
    const m = b / g;
    const sample = x!.shape.slice(1);
    const grouped = tf.reshape(x!, [g, m, ...sample]);
    const centred = tf.sub(grouped, tf.mean(grouped, 0, true));
    const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 0), 1e-8)); // [M, ...sample]
    const perGroup = tf.mean(tf.reshape(std, [m, -1]), 1); // [M]
    const ones = sample.map(() => 1);
    const map = tf.broadcastTo(tf.reshape(perGroup, [1, m, ...ones]), [g, m, ...sample.slice(0, -1), 1]);
    return tf.concat([x!, tf.reshape(map, [b, ...sample.slice(0, -1), 1])], -1);
  },
};

const noise: LayerImpl<NoiseSpec> = {
  type: 'noise',
  build(ctx, _spec, inShapes) {
    needInputs(ctx, 'noise', inShapes, 1);
    const [h, w, c] = needImage(ctx, 'noise', inShapes[0]!);
    ctx.param('scale', tf.zeros([c]));
    return [h, w, c];
  },
  apply(layer, [x], opts) {
    if (!opts.noise) return x!;
    const [b, h, w] = x!.shape as [number, number, number, number];
    const n = tf.tensor(opts.noise.normalArray(b * h * w), [b, h, w, 1]);
    return tf.add(x!, tf.mul(n, layer.params.scale!));
  },
};

const modConv: LayerImpl<ModConvSpec> = {
  type: 'modConv',
  arity: 2,
  build(ctx, spec, inShapes) {
    const [h, w, c] = needImageAndStyle(ctx, 'modConv', inShapes, (cin) => cin, '[Cin]');
    const filters = needInt(ctx, 'modConv', 'filters', spec.filters);
    const k = needInt(ctx, 'modConv', 'kernel', spec.kernel);
    eqWeight(ctx, [k, k, c, filters], 1);
    return [h, w, filters];
  },
  apply(layer, [x, style]) {
    const kernel = layer.params.kernel!;
    const [k, , c] = kernel.shape;
    const w = tf.mul(kernel, 1 / Math.sqrt(k! * k! * c!)) as tf.Tensor4D;
    // conv(x · s, w) = conv(x, w · s): modulating the input channels equals modulating the weight, so one
    // conv with the shared weight replaces B grouped convs.
    const y = tf.conv2d(tf.mul(x!, perSample(style!, 4)) as tf.Tensor4D, w, 1, 'same');
    if (layer.spec.demodulate === false) return y;
    // Σ_{k,i} (w[k,i,o] s[i])² = Σ_i s[i]² Σ_k w[k,i,o]²: one [B, Cin] × [Cin, Cout] matMul.
    const w2 = tf.sum(tf.square(w), [0, 1]) as tf.Tensor2D;
    const d = tf.rsqrt(tf.add(tf.matMul(tf.square(style!) as tf.Tensor2D, w2), 1e-8));
    return tf.mul(y, perSample(d, 4));
  },
};

for (const impl of [eqDense, eqConv2d, minibatchStd, noise, modConv]) registerLayer(impl as unknown as LayerImpl);
