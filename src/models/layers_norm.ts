/**
 * Normalization layers that use no batch statistics (so a gradient penalty sees each sample on its own):
 * instance norm, layer norm, ProGAN's pixel norm and AdaIN. Composite ops, twice differentiable; instance
 * norm runs as one fused kernel forward and one backward on the native engine when only first-order
 * gradients are needed (not `twiceDifferentiable`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { canFuseInstanceNorm, instanceNormFused } from '../backend/batch_norm.ts';
import { registerLayer, shapeSize, type LayerBuildContext, type LayerImpl } from './layer_api.ts';
import { layerError, needImage, needImageAndStyle, needInputs, needOneInput, needPositive, perSample, spatialAxes } from './layers_common.ts';

/**
 * Instance norm: per sample and channel over H, W. `affine` (default false, as PyTorch's InstanceNorm2d)
 * adds a learned per-channel gamma (init 1) and beta (init 0). epsilon defaults to 1e-5.
 */
export interface InstanceNormSpec { type: 'instanceNorm'; affine?: boolean; epsilon?: number }
/** Layer norm: per sample over all non-batch axes, then a learned per-channel (last axis) gamma and beta. */
export interface LayerNormSpec { type: 'layerNorm'; epsilon?: number }
/** ProGAN pixel norm: x / sqrt(mean over channels of x² + epsilon), epsilon default 1e-8. */
export interface PixelNormSpec { type: 'pixelNorm'; epsilon?: number }
/**
 * Adaptive instance norm, inputs [x [H, W, C], style [2C]]: the style's first C entries ys scale and its
 * last C entries yb shift the instance-normalized x, out = (1 + ys) · IN(x) + yb. The 1 + ys form makes a
 * zero style the identity scale, so a style network initialised near zero starts well conditioned
 * (StyleGAN instead initialises the scale's bias to 1).
 */
export interface AdainSpec { type: 'adain'; epsilon?: number }

export type NormLayerSpec = InstanceNormSpec | LayerNormSpec | PixelNormSpec | AdainSpec;

/** (x − mean) / sqrt(var + eps) over `axes` (biased variance). */
function standardize(x: tf.Tensor, axes: number[], eps: number): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, axes, true));
  const variance = tf.mean(tf.square(centred), axes, true);
  return tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
}

function epsilonOf(ctx: LayerBuildContext, type: string, eps: number | undefined, fallback: number): number {
  return eps === undefined ? fallback : needPositive(ctx, type, 'epsilon', eps);
}

/** Throws when normalizing over the given shape would see one element only (the output would be 0). */
function needSpread(ctx: LayerBuildContext, type: string, over: number[], what: string): void {
  if (shapeSize(over) < 2) throw layerError(ctx.id, type, `normalizes over ${what}, which has a single element here`);
}

const instanceNorm: LayerImpl<InstanceNormSpec> = {
  type: 'instanceNorm',
  build(ctx, spec, inShapes) {
    needInputs(ctx, 'instanceNorm', inShapes, 1);
    const [h, w, c] = needImage(ctx, 'instanceNorm', inShapes[0]!);
    needSpread(ctx, 'instanceNorm', [h, w], 'H × W');
    epsilonOf(ctx, 'instanceNorm', spec.epsilon, 1e-5);
    if (spec.affine) {
      ctx.param('gamma', tf.ones([c]));
      ctx.param('beta', tf.zeros([c]));
    }
    return [h, w, c];
  },
  apply(layer, [x], opts) {
    const eps = layer.spec.epsilon ?? 1e-5;
    const { gamma, beta } = layer.params;
    if (canFuseInstanceNorm(x!, opts)) {
      const c = x!.shape[3]!;
      return tf.tidy(() => instanceNormFused(x!, (gamma ?? tf.ones([c])) as tf.Tensor1D, (beta ?? tf.zeros([c])) as tf.Tensor1D, eps));
    }
    const y = standardize(x!, spatialAxes(4), eps);
    return gamma && beta ? tf.add(tf.mul(y, gamma), beta) : y;
  },
};

const layerNorm: LayerImpl<LayerNormSpec> = {
  type: 'layerNorm',
  build(ctx, spec, inShapes) {
    const shape = needOneInput(ctx, 'layerNorm', inShapes);
    needSpread(ctx, 'layerNorm', shape, `the sample [${shape}]`);
    epsilonOf(ctx, 'layerNorm', spec.epsilon, 1e-5);
    const c = shape[shape.length - 1]!;
    ctx.param('gamma', tf.ones([c]));
    ctx.param('beta', tf.zeros([c]));
    return shape.slice();
  },
  apply(layer, [x]) {
    const axes = Array.from({ length: x!.rank - 1 }, (_, i) => i + 1);
    const y = standardize(x!, axes, layer.spec.epsilon ?? 1e-5);
    return tf.add(tf.mul(y, layer.params.gamma!), layer.params.beta!);
  },
};

const pixelNorm: LayerImpl<PixelNormSpec> = {
  type: 'pixelNorm',
  build(ctx, spec, inShapes) {
    const shape = needOneInput(ctx, 'pixelNorm', inShapes);
    epsilonOf(ctx, 'pixelNorm', spec.epsilon, 1e-8);
    return shape.slice();
  },
  apply: (layer, [x]) => tf.mul(x!, tf.rsqrt(tf.add(tf.mean(tf.square(x!), -1, true), layer.spec.epsilon ?? 1e-8))),
};

const adain: LayerImpl<AdainSpec> = {
  type: 'adain',
  arity: 2,
  build(ctx, spec, inShapes) {
    const [h, w, c] = needImageAndStyle(ctx, 'adain', inShapes, (channels) => 2 * channels, '[2C]');
    needSpread(ctx, 'adain', [h, w], 'H × W');
    epsilonOf(ctx, 'adain', spec.epsilon, 1e-5);
    return [h, w, c];
  },
  apply(layer, [x, style]) {
    const c = x!.shape[3]!;
    const [ys, yb] = tf.split(style!, [c, c], 1);
    const y = standardize(x!, spatialAxes(4), layer.spec.epsilon ?? 1e-5);
    return tf.add(tf.mul(y, tf.add(perSample(ys!, 4), 1)), perSample(yb!, 4));
  },
};

for (const impl of [instanceNorm, layerNorm, pixelNorm, adain]) registerLayer(impl as unknown as LayerImpl);
