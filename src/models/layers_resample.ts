/**
 * Resampling layers on [H, W, C] feature maps: upsample (nearest / bilinear), average-pool downsample,
 * pixel shuffle and reflection padding. TF.js's own kernels for these (ResizeNearestNeighbor,
 * ResizeBilinear, AvgPool, DepthToSpace, MirrorPad) have gradients that are missing, not themselves
 * differentiable, or wrong, so each is written with reshape / transpose / broadcast / mean, or as matMuls
 * with constant matrices, which are twice differentiable on every backend (gradient penalty and R1 pass
 * through them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerLayer, type LayerBuildContext, type LayerImpl } from './layer_api.ts';
import { layerError, needImage, needInputs, needInt } from './layers_common.ts';

/**
 * Integer-factor upsampling. 'nearest' repeats each pixel factor × factor times (= tf.image
 * .resizeNearestNeighbor without corner alignment); 'bilinear' uses half-pixel centres with edge clamping
 * (= PyTorch's align_corners=False, tf.image.resizeBilinear with halfPixelCenters).
 */
export interface UpsampleSpec { type: 'upsample'; factor: number; mode?: 'nearest' | 'bilinear' }
/** Average pooling over non-overlapping factor × factor windows; H and W must be multiples of factor. */
export interface DownsampleSpec { type: 'downsample'; factor: number }
/**
 * Depth to space, [H, W, C·r²] → [H·r, W·r, C] with r = factor, in TF's NHWC order (= tf.depthToSpace):
 * input channel (i·r + j)·C + c goes to output pixel (h·r + i, w·r + j), channel c.
 */
export interface PixelShuffleSpec { type: 'pixelShuffle'; factor: number }
/** Reflection padding (the border pixel is not repeated); pad is one size for all sides or [vertical, horizontal]. */
export interface ReflectPadSpec { type: 'reflectPad'; pad: number | [number, number] }

export type ResampleLayerSpec = UpsampleSpec | DownsampleSpec | PixelShuffleSpec | ReflectPadSpec;

function imageShape(ctx: LayerBuildContext, type: string, inShapes: number[][]): [number, number, number] {
  needInputs(ctx, type, inShapes, 1);
  return needImage(ctx, type, inShapes[0]!);
}

/** A linear map along one axis: for output position o, the input positions it reads and their weights. */
type AxisMap = (o: number) => [number, number][];

/** The map as a transposed matrix [n, outN], so that [rows, n] × it maps the last axis. */
function axisMatrixT(n: number, outN: number, map: AxisMap): tf.Tensor2D {
  const m = new Float32Array(n * outN);
  for (let o = 0; o < outN; o++) for (const [i, weight] of map(o)) m[i * outN + o]! += weight;
  return tf.tensor2d(m, [n, outN]);
}

/**
 * Applies a linear map along W and one along H ([B, H, W, C] → [B, H', W', C]) as two 2-D matMuls with
 * constant matrices between rank-4 transposes. Exact gradients of any order come for free, and at GAN
 * sizes it is far faster on wasm than slice/concat formulations, whose gradient (SplitV) runs there as slow
 * copies (bilinear ×2 at [64, 32, 32, 64], forward + backward: 28 s → 0.8 s). The dense matrices cost
 * H + W multiply-adds per output element, small next to a conv's k²·Cin up to a few hundred pixels a side.
 */
function separableMap(x: tf.Tensor, outH: number, mapH: AxisMap, outW: number, mapW: AxisMap): tf.Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const alongW = tf.matMul(tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c * h, w]) as tf.Tensor2D, axisMatrixT(w, outW, mapW));
  const cols = tf.transpose(tf.reshape(alongW, [b, c, h, outW]), [0, 1, 3, 2]);
  const alongH = tf.matMul(tf.reshape(cols, [b * c * outW, h]) as tf.Tensor2D, axisMatrixT(h, outH, mapH));
  return tf.transpose(tf.reshape(alongH, [b, c, outW, outH]), [0, 3, 2, 1]);
}

/**
 * Half-pixel bilinear ×f on an axis of size n: output k·f + j samples input k + d_j with
 * d_j = (2j + 1 − f) / 2f ∈ (−½, ½), blending the neighbour on d's side (edge-clamped).
 */
const bilinearMap = (n: number, f: number): AxisMap => (o) => {
  const [k, j] = [Math.floor(o / f), o % f];
  const d = (2 * j + 1 - f) / (2 * f);
  return [[k, 1 - Math.abs(d)], [Math.min(Math.max(k + Math.sign(d), 0), n - 1), Math.abs(d)]];
};

/** Reflection padding by p on an axis of size n (the border pixel is not repeated). */
const reflectMap = (n: number, p: number): AxisMap => (o) => {
  const i = o - p;
  return [[i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i, 1]];
};

const upsample: LayerImpl<UpsampleSpec> = {
  type: 'upsample',
  build(ctx, spec, inShapes) {
    const [h, w, c] = imageShape(ctx, 'upsample', inShapes);
    const f = needInt(ctx, 'upsample', 'factor', spec.factor);
    const mode = spec.mode ?? 'nearest';
    if (mode !== 'nearest' && mode !== 'bilinear') throw layerError(ctx.id, 'upsample', `mode must be 'nearest' or 'bilinear', got '${String(mode)}'`);
    return [h * f, w * f, c];
  },
  apply(layer, [x]) {
    const f = layer.spec.factor;
    if (f === 1) return x!;
    const [b, h, w, c] = x!.shape as [number, number, number, number];
    if ((layer.spec.mode ?? 'nearest') === 'bilinear') return separableMap(x!, h * f, bilinearMap(h, f), w * f, bilinearMap(w, f));
    // Broadcast (Tile, whose gradient ops.ts makes a reshape-and-sum) over two unit axes, rank 5.
    const repeated = tf.broadcastTo(tf.reshape(x!, [b * h, 1, w, 1, c]), [b * h, f, w, f, c]);
    return tf.reshape(repeated, [b, h * f, w * f, c]);
  },
};

const downsample: LayerImpl<DownsampleSpec> = {
  type: 'downsample',
  build(ctx, spec, inShapes) {
    const [h, w, c] = imageShape(ctx, 'downsample', inShapes);
    const f = needInt(ctx, 'downsample', 'factor', spec.factor);
    if (h % f !== 0 || w % f !== 0) throw layerError(ctx.id, 'downsample', `factor ${f} does not divide the input [${inShapes[0]}]`);
    return [h / f, w / f, c];
  },
  apply(layer, [x]) {
    const f = layer.spec.factor;
    if (f === 1) return x!;
    const [b, h, w, c] = x!.shape as [number, number, number, number];
    const windows = tf.reshape(x!, [b * (h / f), f, w / f, f, c]);
    return tf.reshape(tf.mean(windows, [1, 3]), [b, h / f, w / f, c]);
  },
};

const pixelShuffle: LayerImpl<PixelShuffleSpec> = {
  type: 'pixelShuffle',
  build(ctx, spec, inShapes) {
    const [h, w, c] = imageShape(ctx, 'pixelShuffle', inShapes);
    const r = needInt(ctx, 'pixelShuffle', 'factor', spec.factor);
    if (c % (r * r) !== 0) throw layerError(ctx.id, 'pixelShuffle', `needs channels divisible by factor² = ${r * r}, got ${c}`);
    return [h * r, w * r, c / (r * r)];
  },
  apply(layer, [x]) {
    const r = layer.spec.factor;
    const [b, h, w, c] = x!.shape as [number, number, number, number];
    // [B·H, W, r_i, r_j·C] → [B·H, r_i, W, r_j·C]: rank 4 keeps wasm's transpose happy (rank ≤ 6).
    const t = tf.transpose(tf.reshape(x!, [b * h, w, r, c / r]), [0, 2, 1, 3]);
    return tf.reshape(t, [b, h * r, w * r, c / (r * r)]);
  },
};

const padSizes = (pad: ReflectPadSpec['pad']): [number, number] => (typeof pad === 'number' ? [pad, pad] : pad);

const reflectPad: LayerImpl<ReflectPadSpec> = {
  type: 'reflectPad',
  build(ctx, spec, inShapes) {
    const [h, w, c] = imageShape(ctx, 'reflectPad', inShapes);
    if (!(typeof spec.pad === 'number' || (Array.isArray(spec.pad) && spec.pad.length === 2))) {
      throw layerError(ctx.id, 'reflectPad', `needs pad as a number or [vertical, horizontal], got ${JSON.stringify(spec.pad)}`);
    }
    const [ph, pw] = padSizes(spec.pad);
    needInt(ctx, 'reflectPad', 'pad', ph, 0);
    needInt(ctx, 'reflectPad', 'pad', pw, 0);
    if (ph >= h || pw >= w) throw layerError(ctx.id, 'reflectPad', `pad [${ph}, ${pw}] must be smaller than the input's H and W [${h}, ${w}]`);
    return [h + 2 * ph, w + 2 * pw, c];
  },
  apply(layer, [x]) {
    const [ph, pw] = padSizes(layer.spec.pad);
    const [, h, w] = x!.shape as [number, number, number, number];
    // A 0/1 linear map, so its gradient is exact (tf.mirrorPad's drops the reflected border terms).
    return separableMap(x!, h + 2 * ph, reflectMap(h, ph), w + 2 * pw, reflectMap(w, pw));
  },
};

for (const impl of [upsample, downsample, pixelShuffle, reflectPad]) registerLayer(impl as unknown as LayerImpl);
