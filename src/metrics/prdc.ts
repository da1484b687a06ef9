/**
 * k-nearest-neighbour manifold metrics on feature vectors:
 * - improved precision and recall (Kynkäänniemi et al. 2019): each sample of a set gets a ball whose
 *   radius is the distance to its k-th nearest neighbour in the same set; precision is the fraction of
 *   fake samples inside some real ball, recall the fraction of real samples inside some fake ball
 *   (balls closed, `<=`, as in the authors' code);
 * - density and coverage (Naeem et al. 2020), using real balls only: density is the mean number of real
 *   balls holding a fake sample divided by k, coverage the fraction of real balls holding at least one
 *   fake sample (balls open, `<`, as in the authors' prdc code).
 * Squared distances come from tf.matMul in float32, in row chunks so that 10k × 10k fits in memory;
 * comparing squared distances with squared radii is equivalent to comparing distances.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rowCount } from './stats.ts';

export interface ManifoldOptions {
  /** k for precision/recall; 0 or absent skips them. */
  prK?: number;
  /** k for density/coverage; 0 or absent skips them. */
  dcK?: number;
  /** Largest distance block held at once, in entries (default 8M: 32 MB of float32). */
  blockEntries?: number;
}

export interface ManifoldResult {
  precision?: number;
  recall?: number;
  density?: number;
  coverage?: number;
}

export function precisionRecall(real: Float32Array, fake: Float32Array, dim: number, k = 3): { precision: number; recall: number } {
  const r = manifoldMetrics(real, fake, dim, { prK: k });
  return { precision: r.precision!, recall: r.recall! };
}

export function densityCoverage(real: Float32Array, fake: Float32Array, dim: number, k = 5): { density: number; coverage: number } {
  const r = manifoldMetrics(real, fake, dim, { dcK: k });
  return { density: r.density!, coverage: r.coverage! };
}

/** Precision/recall and density/coverage together, sharing the distance passes. */
export function manifoldMetrics(real: Float32Array, fake: Float32Array, dim: number, opts: ManifoldOptions): ManifoldResult {
  const nReal = rowCount(real, dim, 'manifold metrics (real)');
  const nFake = rowCount(fake, dim, 'manifold metrics (fake)');
  const prK = opts.prK ?? 0;
  const dcK = opts.dcK ?? 0;
  for (const [name, k] of [['precision/recall k', prK], ['density/coverage k', dcK]] as const) {
    if (!Number.isInteger(k) || k < 0) throw new Error(`${name} must be a non-negative integer, got ${k}`);
  }
  const maxK = Math.max(prK, dcK);
  if (maxK === 0) return {};
  if (nReal <= maxK || (prK > 0 && nFake <= prK)) {
    throw new Error(`manifold metrics: k=${maxK} needs more than k samples per set, got ${nReal} real and ${nFake} fake`);
  }
  const blockEntries = opts.blockEntries ?? 8_000_000;
  const realSet = new FeatureSet(real, nReal, dim);
  const fakeSet = new FeatureSet(fake, nFake, dim);
  try {
    const realRadii = kthNeighbourDist2(realSet, [prK, dcK].filter((k) => k > 0), blockEntries);
    const fakeRadii = prK > 0 ? kthNeighbourDist2(fakeSet, [prK], blockEntries) : undefined;
    const realPr = prK > 0 ? realRadii.get(prK)! : undefined;
    const realDc = dcK > 0 ? realRadii.get(dcK)! : undefined;
    const fakePr = fakeRadii?.get(prK);

    // Per fake sample: how many real balls hold it (k_pr balls, closed; k_dc balls, open). Per real
    // sample: inside some fake ball; its ball holds some fake. Reductions over the real axis use a
    // ones-vector matMul and comparisons use step(): on wasm, broadcast comparisons and leading-axis
    // reductions are 20–100× slower than these.
    const fakeInRealBalls = new Float64Array(nFake);
    const fakeBallCount = new Float64Array(nFake);
    let realInFakeBall = 0;
    let realBallCovered = 0;
    const rows = Math.max(1, Math.floor(blockEntries / nFake));
    const fakeRadiiT = fakePr ? tf.tensor2d(fakePr, [1, nFake]) : undefined;
    try {
      for (let start = 0; start < nReal; start += rows) {
        const m = Math.min(rows, nReal - start);
        const parts = tf.tidy(() => {
          const d2 = realSet.dist2To(start, m, fakeSet);
          const ones = tf.ones([1, m]);
          const out: Record<string, tf.Tensor> = {};
          if (realPr && fakeRadiiT) {
            const r2 = tf.tensor2d(realPr.subarray(start, start + m), [m, 1]);
            // [d² <= r²] = 1 − step(d² − r²); count the balls that hold each fake.
            out.outside = tf.matMul(ones, tf.step(tf.sub(d2, r2)));
            out.recallMargin = tf.min(tf.sub(d2, fakeRadiiT), 1);
          }
          if (realDc) {
            const r2 = tf.tensor2d(realDc.subarray(start, start + m), [m, 1]);
            // [d² < r²] = step(r² − d²).
            out.count = tf.matMul(ones, tf.step(tf.sub(r2, d2)));
            out.nearestFake = tf.min(d2, 1);
          }
          return out;
        });
        if (parts.outside) {
          const outside = parts.outside.dataSync();
          for (let j = 0; j < nFake; j++) fakeInRealBalls[j]! += m - outside[j]!;
          for (const v of parts.recallMargin!.dataSync()) if (v <= 0) realInFakeBall++;
        }
        if (parts.count) {
          const count = parts.count.dataSync();
          for (let j = 0; j < nFake; j++) fakeBallCount[j]! += count[j]!;
          const nearest = parts.nearestFake!.dataSync();
          for (let i = 0; i < m; i++) if (nearest[i]! < realDc![start + i]!) realBallCovered++;
        }
        tf.dispose(Object.values(parts));
      }
    } finally {
      fakeRadiiT?.dispose();
    }
    const result: ManifoldResult = {};
    if (prK > 0) {
      result.precision = fakeInRealBalls.reduce((n, v) => n + (v > 0 ? 1 : 0), 0) / nFake;
      result.recall = realInFakeBall / nReal;
    }
    if (dcK > 0) {
      result.density = fakeBallCount.reduce((a, b) => a + b, 0) / (dcK * nFake);
      result.coverage = realBallCovered / nReal;
    }
    return result;
  } finally {
    realSet.dispose();
    fakeSet.dispose();
  }
}

/**
 * A feature matrix on the backend, stored twice in augmented form so that one matMul gives squared
 * distances: [−2x, ‖x‖², 1] · [y, 1, ‖y‖²]ᵀ = ‖x‖² + ‖y‖² − 2 x·y.
 */
class FeatureSet {
  /** Rows [−2x, ‖x‖², 1], [n, dim + 2]. */
  readonly left: tf.Tensor2D;
  /** Columns [y, 1, ‖y‖²]ᵀ, [dim + 2, n] (transposed once: matMul with transposeB is slow on wasm). */
  readonly rightT: tf.Tensor2D;

  constructor(data: Float32Array, readonly n: number, dim: number) {
    [this.left, this.rightT] = tf.tidy((): [tf.Tensor2D, tf.Tensor2D] => {
      const x = tf.tensor2d(data, [n, dim]);
      const norms = tf.sum(tf.square(x), 1, true);
      const ones = tf.ones([n, 1]);
      return [tf.concat([tf.mul(x, -2), norms, ones], 1) as tf.Tensor2D, tf.transpose(tf.concat([x, ones, norms], 1)) as tf.Tensor2D];
    });
  }

  /**
   * Squared distances [m, other.n] from rows start..start+m of this set to every row of other. Rounding
   * can leave them slightly negative for (near-)identical points; callers compare them with radii.
   */
  dist2To(start: number, m: number, other: FeatureSet): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(tf.slice(this.left, [start, 0], [m, -1]), other.rightT));
  }

  dispose(): void {
    tf.dispose([this.left, this.rightT]);
  }
}

/**
 * Squared distance from each sample to its k-th nearest other sample, for each k asked. The sample
 * itself (distance ≈ 0) is the nearest, so the k-th neighbour is the (k+1)-th smallest distance.
 */
function kthNeighbourDist2(set: FeatureSet, ks: number[], blockEntries: number): Map<number, Float32Array> {
  const maxK = Math.max(...ks);
  const out = new Map(ks.map((k) => [k, new Float32Array(set.n)]));
  const rows = Math.max(1, Math.floor(blockEntries / set.n));
  for (let start = 0; start < set.n; start += rows) {
    const m = Math.min(rows, set.n - start);
    const nearest = tf.tidy(() => tf.neg(tf.topk(tf.neg(set.dist2To(start, m, set)), maxK + 1, true).values));
    const values = nearest.dataSync();
    nearest.dispose();
    for (const k of ks) {
      const radii = out.get(k)!;
      for (let i = 0; i < m; i++) radii[start + i] = Math.max(values[i * (maxK + 1) + k]!, 0);
    }
  }
  return out;
}
