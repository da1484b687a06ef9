/**
 * Layers that merge or gate features: residual add, channel concat (U-Net skips), seeded dropout,
 * token embeddings and PReLU. All are twice differentiable (the embedding only w.r.t. its table).
 */
import * as tf from '@tensorflow/tfjs-core';
import { prelu as preluOp } from '../backend/prelu.ts';
import { registerLayer, type LayerBuildContext, type LayerImpl } from './layer_api.ts';
import { layerError, needInputs, needInt, needNumber, needOneInput } from './layers_common.ts';

/** Sum of two or more inputs of the same shape (residual connections). */
export interface AddSpec { type: 'add' }
/** Concatenation of two or more inputs along the last (channel) axis; the other axes must agree. */
export interface ConcatSpec { type: 'concat' }
/**
 * Inverted dropout: while training with a noise stream, each element is zeroed with probability `rate`
 * and the rest scaled by 1 / (1 − rate); identity otherwise. The mask comes from `opts.noise` (one
 * uniform draw per element, in row-major order), so resumed runs drop the same units.
 */
export interface DropoutSpec { type: 'dropout'; rate: number }
/**
 * Token embedding: integer ids [B, ...] → [B, ..., dim] from a learned [vocab, dim] table. Ids outside
 * [0, vocab) embed to zeros. Written as one-hot × matMul because `gather`'s gradient
 * (UnsortedSegmentSum) has no wasm kernel.
 */
export interface EmbeddingSpec { type: 'embedding'; vocab: number; dim: number }
/**
 * PReLU: max(x, 0) + alpha_c · min(x, 0) with a learned alpha per channel (last axis), initialised to 0.25;
 * `shared`: one alpha for all channels (PyTorch's nn.PReLU() default, as SRGAN uses it).
 */
export interface PreluSpec { type: 'prelu'; shared?: boolean }

/**
 * Luma replacement: inputs a colour image [H, W, 3] and a gray one [H, W, 1]; out = colour − Y(colour) + gray
 * per channel, with Y the BT.601 luma 0.299 R + 0.587 G + 0.114 B (weights summing to 1, so Y(out) = gray
 * exactly, in any affine value range such as [−1, 1]). Colourization that keeps the input's luma and learns
 * only the chroma (pix2pix colourizes in Lab: L in, ab out). `clip` bounds the result (e.g. the data range).
 */
export interface ReplaceLumaSpec { type: 'replaceLuma'; clip?: [number, number] }

/**
 * Mask compositing (inpainting): inputs an image [H, W, C], a mask [H, W, 1] (1 where a pixel is missing) and
 * optionally a fill [H, W, C]; out = image·(1 − mask) + fill·mask, the image with its hole zeroed when no fill
 * is given. Known pixels pass through exactly where the mask is 0.
 */
export interface MaskCompositeSpec { type: 'maskComposite'; clip?: [number, number] }
/**
 * Smooth hole fill (push-pull interpolation, Gortler et al. 1996, relaxed at each level): inputs an image
 * [H, W, C] and a mask [H, W, 1] (1 = missing). Push: the known pixels (value·(1 − mask)) and their weights
 * (1 − mask) are 2×2-average-pooled down to 1×1; pull: from the coarsest level's weighted mean, each finer
 * level starts as its own weighted mean where known plus the coarser estimate (bilinearly upsampled) for the
 * rest, est_l = v_l + (1 − w_l)·up(est_{l+1}), then `iterations` Jacobi sweeps est_l ← v_l + (1 − w_l)·avg4(est_l)
 * (the 4-neighbour mean inside the image) move it toward the harmonic (diffusion) fill. Known pixels pass
 * through exactly. No parameters; the inpainting generator's first guess, which its U-Net corrects.
 */
export interface SmoothFillSpec { type: 'smoothFill'; iterations?: number }

/** Jacobi sweeps per pyramid level of `smoothFill` (about 0.2 dB short of the converged diffusion fill on CIFAR-10 holes). */
export const SMOOTH_FILL_ITERATIONS = 16;

/**
 * Row-wise inner product of two vectors of one length, [d] · [d] → [1]: the projection discriminator's
 * conditional term ⟨φ(x), embed(condition)⟩ for a continuous condition (a text embedding).
 */
export interface DotSpec { type: 'dot' }

export type MergeLayerSpec = DotSpec | AddSpec | ConcatSpec | DropoutSpec | EmbeddingSpec | PreluSpec | ReplaceLumaSpec | MaskCompositeSpec | SmoothFillSpec;

export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Checks that 2+ inputs agree on every axis (all but the last when `exceptLast`); returns the first shape. */
function needMatching(ctx: LayerBuildContext, type: string, inShapes: number[][], exceptLast: boolean, problem: string): number[] {
  needInputs(ctx, type, inShapes, 2, true);
  const first = inShapes[0]!;
  const compared = exceptLast ? first.length - 1 : first.length;
  inShapes.forEach((s, i) => {
    if (s.length !== first.length || s.slice(0, compared).some((d, j) => d !== first[j])) {
      throw layerError(ctx.id, type, `${problem}, got [${first}] and [${s}] (input ${i})`);
    }
  });
  return first;
}

const add: LayerImpl<AddSpec> = {
  type: 'add',
  arity: 'many',
  build: (ctx, _spec, inShapes) => needMatching(ctx, 'add', inShapes, false, 'needs inputs of one shape').slice(),
  apply: (_layer, inputs) => tf.addN(inputs),
};

const concat: LayerImpl<ConcatSpec> = {
  type: 'concat',
  arity: 'many',
  build(ctx, _spec, inShapes) {
    if (inShapes.some((s) => s.length === 0)) throw layerError(ctx.id, 'concat', 'needs inputs with a channel axis, got scalars');
    const first = needMatching(ctx, 'concat', inShapes, true, 'needs inputs that agree on all but the last axis');
    return [...first.slice(0, -1), inShapes.reduce((n, s) => n + s[s.length - 1]!, 0)];
  },
  apply: (_layer, inputs) => tf.concat(inputs, -1),
};

const dot: LayerImpl<DotSpec> = {
  type: 'dot',
  arity: 2,
  build(ctx, _spec, inShapes) {
    const [a, b] = inShapes as [number[], number[]];
    if (inShapes.length !== 2 || a.length !== 1 || b.length !== 1 || a[0] !== b[0]) throw layerError(ctx.id, 'dot', `needs two vectors of one length, got ${inShapes.map((s) => `[${s}]`).join(' and ')}`);
    return [1];
  },
  apply: (_layer, [a, b]) => tf.sum(tf.mul(a!, b!), 1, true),
};

const dropout: LayerImpl<DropoutSpec> = {
  type: 'dropout',
  build(ctx, spec, inShapes) {
    needInputs(ctx, 'dropout', inShapes, 1);
    needNumber(ctx, 'dropout', 'rate', spec.rate, 0, 1);
    return inShapes[0]!.slice();
  },
  apply(layer, [x], opts) {
    const rate = layer.spec.rate;
    if (!opts.training || !opts.noise || rate === 0) return x!;
    const u = opts.noise.uniformArray(x!.size);
    const keep = 1 / (1 - rate);
    const mask = new Float32Array(u.length);
    for (let i = 0; i < u.length; i++) mask[i] = u[i]! >= rate ? keep : 0;
    return tf.mul(x!, tf.tensor(mask, x!.shape));
  },
};

const embedding: LayerImpl<EmbeddingSpec> = {
  type: 'embedding',
  build(ctx, spec, inShapes) {
    const inShape = needOneInput(ctx, 'embedding', inShapes, 'token ids [T]');
    const vocab = needInt(ctx, 'embedding', 'vocab', spec.vocab);
    const dim = needInt(ctx, 'embedding', 'dim', spec.dim);
    // As one-hot × table, each output sees one row: fan-in 1.
    ctx.param('table', ctx.initWeights([vocab, dim], 1));
    return [...inShape, dim];
  },
  apply(layer, [ids]) {
    const { vocab, dim } = layer.spec;
    // An int32 one-hot, then a cast: wasm's OneHot asked for float32 directly returns zeros (TF.js 4.22).
    const oneHot = tf.cast(tf.oneHot(tf.reshape(tf.cast(ids!, 'int32'), [-1]) as tf.Tensor1D, vocab), 'float32');
    const rows = tf.matMul(oneHot as tf.Tensor2D, layer.params.table as tf.Tensor2D);
    return tf.reshape(rows, [...ids!.shape, dim]);
  },
};

const prelu: LayerImpl<PreluSpec> = {
  type: 'prelu',
  build(ctx, spec, inShapes) {
    const inShape = needOneInput(ctx, 'prelu', inShapes);
    ctx.param('alpha', tf.fill([spec.shared ? 1 : inShape[inShape.length - 1]!], 0.25));
    return inShape.slice();
  },
  apply(layer, [x], opts) {
    // One fused kernel each way on the native engine; elsewhere, or when a gradient penalty differentiates
    // through it, x · (alpha + (1 − alpha) · step(x)) (twice differentiable: step's gradient is zero).
    return preluOp(x!, layer.params.alpha!, { twiceDifferentiable: opts.twiceDifferentiable });
  },
};

const replaceLuma: LayerImpl<ReplaceLumaSpec> = {
  type: 'replaceLuma',
  arity: 'many',
  build(ctx, spec, inShapes) {
    needInputs(ctx, 'replaceLuma', inShapes, 2);
    const [colour, gray] = inShapes as [number[], number[]];
    if (colour.length !== 3 || colour[2] !== 3 || gray.length !== 3 || gray[2] !== 1 || gray[0] !== colour[0] || gray[1] !== colour[1]) {
      throw layerError(ctx.id, 'replaceLuma', `needs a colour image [H, W, 3] and a gray one [H, W, 1] of one size, got [${colour}] and [${gray}]`);
    }
    if (spec.clip !== undefined && !(Array.isArray(spec.clip) && spec.clip.length === 2 && spec.clip[0] < spec.clip[1])) {
      throw layerError(ctx.id, 'replaceLuma', `clip must be [lo, hi] with lo < hi, got ${JSON.stringify(spec.clip)}`);
    }
    return colour.slice();
  },
  apply(layer, [colour, gray]) {
    const y = tf.sum(tf.mul(colour!, tf.tensor1d(LUMA_WEIGHTS as unknown as number[])), -1, true);
    const out = tf.add(tf.sub(colour!, y), gray!);
    const clip = layer.spec.clip;
    return clip ? tf.clipByValue(out, clip[0], clip[1]) : out;
  },
};

const maskComposite: LayerImpl<MaskCompositeSpec> = {
  type: 'maskComposite',
  arity: 'many',
  build(ctx, _spec, inShapes) {
    const [image, mask, fill] = inShapes as [number[], number[], number[] | undefined];
    const ok = (inShapes.length === 2 || inShapes.length === 3) && image.length === 3 && mask.length === 3 && mask[2] === 1 && mask[0] === image[0] && mask[1] === image[1] && (!fill || fill.join() === image.join());
    if (!ok) throw layerError(ctx.id, 'maskComposite', `needs an image [H, W, C], a mask [H, W, 1] and optionally a fill [H, W, C], got ${inShapes.map((s) => `[${s}]`).join(', ')}`);
    return image.slice();
  },
  apply(layer, [image, mask, fill]) {
    const kept = tf.mul(image!, tf.sub(1, mask!));
    if (!fill) return kept;
    const clip = layer.spec.clip;
    return tf.add(kept, tf.mul(clip ? tf.clipByValue(fill, clip[0], clip[1]) : fill, mask!));
  },
};

const smoothFill: LayerImpl<SmoothFillSpec> = {
  type: 'smoothFill',
  arity: 'many',
  build(ctx, spec, inShapes) {
    const [image, mask] = inShapes as [number[], number[]];
    const ok = inShapes.length === 2 && image.length === 3 && mask.length === 3 && mask[2] === 1 && mask[0] === image[0] && mask[1] === image[1];
    if (!ok) throw layerError(ctx.id, 'smoothFill', `needs an image [H, W, C] and a mask [H, W, 1], got ${inShapes.map((s) => `[${s}]`).join(', ')}`);
    if (spec.iterations !== undefined) needInt(ctx, 'smoothFill', 'iterations', spec.iterations, 0);
    return image.slice();
  },
  apply(layer, [image, mask]) {
    const known = tf.sub(1, mask!);
    const v: tf.Tensor4D[] = [tf.mul(image!, known) as tf.Tensor4D];
    const w: tf.Tensor4D[] = [known as tf.Tensor4D];
    while (v[v.length - 1]!.shape[1] > 1 || v[v.length - 1]!.shape[2] > 1) {
      v.push(tf.avgPool(v[v.length - 1]!, 2, 2, 'same'));
      w.push(tf.avgPool(w[w.length - 1]!, 2, 2, 'same'));
    }
    const iters = layer.spec.iterations ?? SMOOTH_FILL_ITERATIONS;
    const c = image!.shape[3]!;
    const k = tf.tile(tf.tensor4d([0, 0.25, 0, 0.25, 0, 0.25, 0, 0.25, 0], [3, 3, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const relax = (e: tf.Tensor4D, l: number) => {
      const den = tf.depthwiseConv2d(tf.onesLike(e), k, 1, 'same');
      const open = tf.sub(1, w[l]!);
      for (let i = 0; i < iters; i++) e = tf.add(v[l]!, tf.mul(open, tf.div(tf.depthwiseConv2d(e, k, 1, 'same'), den))) as tf.Tensor4D;
      return e;
    };
    let est = tf.div(v[v.length - 1]!, tf.maximum(w[w.length - 1]!, 1e-6)) as tf.Tensor4D;
    for (let l = v.length - 2; l >= 0; l--) {
      const up = tf.image.resizeBilinear(est, [v[l]!.shape[1], v[l]!.shape[2]], false, true);
      est = relax(tf.add(v[l]!, tf.mul(tf.sub(1, w[l]!), up)), l);
    }
    return est;
  },
};

for (const impl of [add, concat, dot, dropout, embedding, prelu, replaceLuma, maskComposite, smoothFill]) registerLayer(impl as unknown as LayerImpl);
