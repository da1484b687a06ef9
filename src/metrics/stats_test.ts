import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.ts';
import { matMul, meanCov, sqrtmSym, symEig, trace, traceSqrtProduct } from './stats.ts';

/** A random symmetric PSD matrix G Gᵀ / d (rank r when r < d). */
function randomPsd(d: number, seed: number, rank = d): Float64Array {
  const rng = new Rng(seed);
  const g = Float64Array.from(rng.normalArray(d * rank));
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += g[i * rank + k]! * g[j * rank + k]!;
      a[i * d + j] = s / d;
    }
  }
  return a;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

test('symEig reconstructs A = Vᵀ diag(λ) V with orthonormal V, eigenvalues ascending', () => {
  for (const d of [1, 2, 3, 7, 40]) {
    const a = randomPsd(d, d);
    const { values, vectors } = symEig(a, d);
    for (let i = 1; i < d; i++) assert.ok(values[i]! >= values[i - 1]!);
    const rebuilt = new Float64Array(d * d);
    const gram = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        let o = 0;
        for (let e = 0; e < d; e++) {
          s += vectors![e * d + i]! * values[e]! * vectors![e * d + j]!;
          o += vectors![i * d + e]! * vectors![j * d + e]!;
        }
        rebuilt[i * d + j] = s;
        gram[i * d + j] = o;
      }
    }
    assert.ok(maxAbsDiff(rebuilt, a) < 1e-12, `d=${d}: reconstruction error ${maxAbsDiff(rebuilt, a)}`);
    const identity = Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));
    assert.ok(maxAbsDiff(gram, identity) < 1e-12, `d=${d}: vectors not orthonormal`);
    // Eigenvalues-only mode agrees.
    assert.ok(maxAbsDiff(symEig(a, d, { vectors: false }).values, values) < 1e-12);
  }
});

test('symEig on known spectra: diagonal, identity (repeated), and a 2×2 closed form', () => {
  const diag = new Float64Array([3, 0, 0, 0, -1, 0, 0, 0, 2]);
  assert.deepEqual(Array.from(symEig(diag, 3).values), [-1, 2, 3]);
  const eye = Float64Array.from({ length: 25 }, (_, k) => (k % 6 === 0 ? 1 : 0));
  assert.ok(maxAbsDiff(symEig(eye, 5).values, [1, 1, 1, 1, 1]) < 1e-15);
  // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
  assert.ok(maxAbsDiff(symEig(new Float64Array([2, 1, 1, 2]), 2).values, [1, 3]) < 1e-14);
  assert.throws(() => symEig(new Float64Array(5), 2), /5 values, expected 2×2/);
});

test('sqrtmSym squared gives back the input, also for rank-deficient PSD matrices', () => {
  for (const [d, rank] of [
    [16, 16],
    [30, 5],
  ] as const) {
    const a = randomPsd(d, 100 + d, rank);
    const root = sqrtmSym(a, d);
    assert.ok(maxAbsDiff(matMul(root, root, d), a) < 1e-10);
    // The root is symmetric.
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) assert.ok(Math.abs(root[i * d + j]! - root[j * d + i]!) < 1e-12);
  }
});

test('traceSqrtProduct: tr(sqrt(A·A)) = tr(A); 2×2 closed form sqrt(tr(AB) + 2 sqrt(det A det B))', () => {
  const a = randomPsd(24, 7);
  assert.ok(Math.abs(traceSqrtProduct(a, a, 24) - trace(a, 24)) < 1e-9);
  const p = new Float64Array([2, 0.5, 0.5, 1]);
  const q = new Float64Array([1, -0.3, -0.3, 3]);
  const detP = 2 - 0.25;
  const detQ = 3 - 0.09;
  const expected = Math.sqrt(trace(matMul(p, q, 2), 2) + 2 * Math.sqrt(detP * detQ));
  assert.ok(Math.abs(traceSqrtProduct(p, q, 2) - expected) < 1e-12);
});

test('meanCov matches a direct unbiased computation', () => {
  const n = 50;
  const d = 4;
  const x = new Rng(3).normalArray(n * d, 1, 2);
  const { mean, cov } = meanCov(x, n, d);
  for (let a = 0; a < d; a++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + a]!;
    assert.ok(Math.abs(mean[a]! - m / n) < 1e-12);
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (x[i * d + a]! - mean[a]!) * (x[i * d + b]! - mean[b]!);
      assert.ok(Math.abs(cov[a * d + b]! - s / (n - 1)) < 1e-12);
    }
  }
  assert.throws(() => meanCov(x, 1, d), /n >= 2/);
  assert.throws(() => meanCov(x, 100, d), /need n·dim = 400/);
});

test('traceSqrtProduct of 256×256 matrices is fast (< 3 s even on a loaded machine)', () => {
  const a = randomPsd(256, 11);
  const t0 = performance.now();
  traceSqrtProduct(a, randomPsd(256, 12), 256);
  const ms = performance.now() - t0;
  assert.ok(ms < 3000, `traceSqrtProduct 256 took ${ms.toFixed(0)} ms`);
});
