/**
 * Small helpers shared by the layer files: build-time validation with errors that name the layer, and
 * per-sample broadcasting. No Node imports (layers run in the browser too).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerBuildContext } from './layer_api.ts';

/** An Error `${id}: ${type} ${problem}`, the format layers_basic.ts uses. */
export function layerError(id: string, type: string, problem: string): Error {
  return new Error(`${id}: ${type} ${problem}`);
}

/** Throws unless `value` is an integer ≥ min (spec fields such as factor, units, filters). */
export function needInt(ctx: LayerBuildContext, type: string, field: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw layerError(ctx.id, type, `needs ${field} to be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number > 0 (epsilon, lrMul). */
export function needPositive(ctx: LayerBuildContext, type: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw layerError(ctx.id, type, `needs ${field} > 0, got ${String(value)}`);
  return value;
}

/** Throws unless `value` is a finite number in [lo, hi). */
export function needNumber(ctx: LayerBuildContext, type: string, field: string, value: unknown, lo: number, hi = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value >= hi) {
    throw layerError(ctx.id, type, `needs ${field} in [${lo}, ${hi}), got ${String(value)}`);
  }
  return value;
}

/** Throws unless the input has the given rank; `desc` says what is expected, e.g. '[H, W, C]'. */
export function needRank(ctx: LayerBuildContext, type: string, shape: number[], rank: number, desc: string, which = 'input'): void {
  if (shape.length !== rank) throw layerError(ctx.id, type, `needs ${which} ${desc}, got [${shape}]`);
}

/** Throws unless the input is a feature map [H, W, C]; returns it. */
export function needImage(ctx: LayerBuildContext, type: string, shape: number[], which = 'input'): [number, number, number] {
  needRank(ctx, type, shape, 3, '[H, W, C]', which);
  return shape as [number, number, number];
}

/** Throws unless exactly `n` inputs (or at least `n` when `atLeast`). */
export function needInputs(ctx: LayerBuildContext, type: string, inShapes: number[][], n: number, atLeast = false): void {
  if (atLeast ? inShapes.length < n : inShapes.length !== n) {
    throw layerError(ctx.id, type, `needs ${atLeast ? 'at least ' : ''}${n} input${n > 1 ? 's' : ''}, got ${inShapes.length}`);
  }
}

/** Exactly one input with at least one axis per sample (`what` names that axis); returns its shape. */
export function needOneInput(ctx: LayerBuildContext, type: string, inShapes: number[][], what = 'a channel axis'): number[] {
  needInputs(ctx, type, inShapes, 1);
  const shape = inShapes[0]!;
  if (shape.length === 0) throw layerError(ctx.id, type, `needs ${what}, got a scalar per sample`);
  return shape;
}

/**
 * Inputs [x [H, W, C], style [n]] with n = styleLength(C) (AdaIN, modulated conv); returns x's shape.
 * `desc` names n for the error, e.g. '[2C]'.
 */
export function needImageAndStyle(ctx: LayerBuildContext, type: string, inShapes: number[][], styleLength: (c: number) => number,
  desc: string): [number, number, number] {
  needInputs(ctx, type, inShapes, 2);
  const [h, w, c] = needImage(ctx, type, inShapes[0]!, 'input 0 (x)');
  const style = inShapes[1]!;
  const n = styleLength(c);
  if (style.length !== 1 || style[0] !== n) {
    throw layerError(ctx.id, type, `needs input 1 (style) ${desc} = [${n}] for x [${inShapes[0]}], got [${style}]`);
  }
  return [h, w, c];
}

/** [B, C] → [B, 1, …, 1, C] of the given rank, to scale or shift a batch of feature maps per sample. */
export function perSample(t: tf.Tensor, rank: number): tf.Tensor {
  const [b, c] = t.shape as [number, number];
  return tf.reshape(t, [b, ...new Array<number>(rank - 2).fill(1), c]);
}

/** The axes of a batched tensor between the batch and the channel axis (the spatial axes). */
export const spatialAxes = (rank: number): number[] => Array.from({ length: rank - 2 }, (_, i) => i + 1);
