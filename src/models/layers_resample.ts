/**
 * Resampling layers on [H, W, C] feature maps: upsample (nearest / bilinear), average-pool downsample,
 * pixel shuffle and reflection padding. TF.js's own kernels for these (ResizeNearestNeighbor,
 * ResizeBilinear, AvgPool, DepthToSpace, MirrorPad) have gradients that are missing, not themselves
 * differentiable, or wrong, so each is written with reshape / broadcast / slice / concat / mean, which are
 * twice differentiable on every backend (gradient penalty and R1 pass through them).
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

/** Slice of `x` along `axis`: `size` entries from `begin`. */
function sliceAxis(x: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const b = x.shape.map(() => 0);
  const s = x.shape.slice();
  b[axis] = begin;
  s[axis] = size;
  return tf.slice(x, b, s);
}

/**
 * Half-pixel bilinear upsampling of x [A, n, C] along axis 1: output k·f + j samples input k + d_j with
 * d_j = (2j + 1 − f) / 2f ∈ (−½, ½), blending the neighbour on d's side (edge-clamped). Everything stays
 * rank ≤ 4: wasm slices (and so the splits of concat's gradient) of rank 5 run as slow JS loops.
 */
function bilinear1d(x: tf.Tensor, f: number): tf.Tensor {
  const [a, n, c] = x.shape as [number, number, number];
  const prev = tf.concat([sliceAxis(x, 1, 0, 1), sliceAxis(x, 1, 0, n - 1)], 1);
  const next = tf.concat([sliceAxis(x, 1, 1, n - 1), sliceAxis(x, 1, n - 1, 1)], 1);
  const phases: tf.Tensor[] = [];
  for (let j = 0; j < f; j++) {
    const d = (2 * j + 1 - f) / (2 * f);
    const phase = d === 0 ? x : tf.add(tf.mul(x, 1 - Math.abs(d)), tf.mul(d < 0 ? prev : next, Math.abs(d)));
    phases.push(tf.reshape(phase, [a, n, 1, c]));
  }
  return tf.reshape(tf.concat(phases, 2), [a, n * f, c]);
}

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
    if ((layer.spec.mode ?? 'nearest') === 'bilinear') {
      const rows = bilinear1d(tf.reshape(x!, [b, h, w * c]), f);
      return tf.reshape(bilinear1d(tf.reshape(rows, [b * h * f, w, c]), f), [b, h * f, w * f, c]);
    }
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

/** Reflection padding along one axis as reverse + concat, whose gradients are exact (unlike MirrorPad's). */
function reflectAxis(x: tf.Tensor, axis: number, p: number): tf.Tensor {
  if (p === 0) return x;
  const n = x.shape[axis]!;
  const before = tf.reverse(sliceAxis(x, axis, 1, p), axis);
  const after = tf.reverse(sliceAxis(x, axis, n - 1 - p, p), axis);
  return tf.concat([before, x, after], axis);
}

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
    return reflectAxis(reflectAxis(x!, 1, ph), 2, pw);
  },
};

for (const impl of [upsample, downsample, pixelShuffle, reflectPad]) registerLayer(impl as unknown as LayerImpl);
