/**
 * Distribution metrics on feature vectors: Fréchet distance (Heusel et al. 2017), kernel inception
 * distance (Bińkowski et al. 2018), inception score (Salimans et al. 2016); precision/recall and
 * density/coverage live in prdc.ts and are re-exported here. Features are row-major Float32Arrays
 * (n × dim); the statistics themselves are computed in float64.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { meanCov, rowCount, traceSqrtProduct, trace, type MeanCov } from './stats.ts';

export { precisionRecall, densityCoverage, manifoldMetrics } from './prdc.ts';

/** Fréchet distance between Gaussians fitted to two feature sets. */
export function fid(featsA: Float32Array, featsB: Float32Array, dim: number): number {
  const nA = rowCount(featsA, dim, 'fid (set A)');
  const nB = rowCount(featsB, dim, 'fid (set B)');
  return fidFromStats(meanCov(featsA, nA, dim), meanCov(featsB, nB, dim));
}

/** ‖μ1 − μ2‖² + tr(Σ1) + tr(Σ2) − 2 tr(sqrt(Σ1 Σ2)); reusable with cached reference statistics. */
export function fidFromStats(a: MeanCov, b: MeanCov): number {
  if (a.dim !== b.dim) throw new Error(`fid: feature dimensions differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  return meanTerm + trace(a.cov, d) + trace(b.cov, d) - 2 * traceSqrtProduct(a.cov, b.cov, d);
}

export interface KidOptions {
  /** Number of random subset pairs (default 100). */
  subsets?: number;
  /** Size of each subset (default 1000, capped by the smaller set). */
  subsetSize?: number;
  seed?: number;
}

/**
 * Unbiased MMD² with the cubic polynomial kernel k(x, y) = (x·y/d + 1)³, averaged over random subsets
 * drawn without replacement (as the reference KID code does). Gram matrices come from tf.matMul in
 * float32; the kernel and the sums are evaluated in float64 because the estimate is a small difference
 * of large sums.
 */
export function kid(featsA: Float32Array, featsB: Float32Array, dim: number, opts: KidOptions = {}): { mean: number; std: number } {
  const nA = rowCount(featsA, dim, 'kid (set A)');
  const nB = rowCount(featsB, dim, 'kid (set B)');
  const subsets = opts.subsets ?? 100;
  const m = Math.min(opts.subsetSize ?? 1000, nA, nB);
  if (m < 2) throw new Error(`kid: need at least 2 samples per set, got ${nA} and ${nB}`);
  if (!(subsets >= 1)) throw new Error(`kid: subsets must be >= 1, got ${subsets}`);
  const rng = new Rng(opts.seed ?? 0);
  const values: number[] = [];
  const pick = (feats: Float32Array, n: number) => {
    const perm = rng.permutation(n);
    const out = new Float32Array(m * dim);
    for (let i = 0; i < m; i++) out.set(feats.subarray(perm[i]! * dim, perm[i]! * dim + dim), i * dim);
    return out;
  };
  for (let s = 0; s < subsets; s++) {
    const x = pick(featsA, nA);
    const y = pick(featsB, nB);
    const [gxx, gyy, gxy] = tf.tidy(() => {
      const tx = tf.tensor2d(x, [m, dim]);
      const ty = tf.tensor2d(y, [m, dim]);
      // Transpose explicitly: matMul with transposeB is far slower on wasm.
      const txT = tf.transpose(tx);
      const tyT = tf.transpose(ty);
      return [tf.matMul(tx, txT), tf.matMul(ty, tyT), tf.matMul(tx, tyT)];
    });
    const kxx = kernelSum(gxx!.dataSync() as Float32Array, m, dim, true);
    const kyy = kernelSum(gyy!.dataSync() as Float32Array, m, dim, true);
    const kxy = kernelSum(gxy!.dataSync() as Float32Array, m, dim, false);
    tf.dispose([gxx!, gyy!, gxy!]);
    values.push((kxx + kyy) / (m * (m - 1)) - (2 * kxy) / (m * m));
  }
  return meanStd(values);
}

/** Σ (g/d + 1)³ over a Gram matrix, leaving out the diagonal when asked. */
function kernelSum(gram: Float32Array, m: number, dim: number, offDiagonal: boolean): number {
  let total = 0;
  for (let i = 0; i < m; i++) {
    const row = i * m;
    let rowSum = 0;
    for (let j = 0; j < m; j++) {
      if (offDiagonal && j === i) continue;
      const k = gram[row + j]! / dim + 1;
      rowSum += k * k * k;
    }
    total += rowSum;
  }
  return total;
}

/** Mean and population standard deviation (numpy's default, as the reference metric code reports). */
export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Inception score exp(E_x KL(p(y|x) ‖ p(y))) over `splits` consecutive equal parts (the remainder
 * n mod splits is dropped, as in the reference code), mean ± std across parts.
 * @param probs row-major n × classes class probabilities (rows should sum to 1)
 */
export function inceptionScore(probs: Float32Array, n: number, classes: number, splits = 10): { mean: number; std: number } {
  if (probs.length !== n * classes) throw new Error(`inceptionScore: probs has ${probs.length} values, expected n·classes = ${n * classes}`);
  if (!(splits >= 1) || n < splits) throw new Error(`inceptionScore: need n >= splits >= 1, got n=${n}, splits=${splits}`);
  const part = Math.floor(n / splits);
  const scores: number[] = [];
  const marginal = new Float64Array(classes);
  for (let s = 0; s < splits; s++) {
    marginal.fill(0);
    for (let i = s * part; i < (s + 1) * part; i++) {
      for (let c = 0; c < classes; c++) marginal[c]! += probs[i * classes + c]!;
    }
    for (let c = 0; c < classes; c++) marginal[c]! /= part;
    let klSum = 0;
    for (let i = s * part; i < (s + 1) * part; i++) {
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c]!;
        if (p > 0) klSum += p * (Math.log(p) - Math.log(marginal[c]!));
      }
    }
    scores.push(Math.exp(klSum / part));
  }
  return meanStd(scores);
}
