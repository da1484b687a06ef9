import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../core/rng.ts';
import { fid, fidFromStats, inceptionScore, kid } from './fid.ts';
import { matMul, sqrtmSym, symEig, type MeanCov } from './stats.ts';

await tf.setBackend('cpu');

const transpose = (a: Float64Array, d: number) => {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j]!;
  return t;
};

/** A random orthogonal matrix: the eigenvectors of a random symmetric matrix. */
function randomOrthogonal(d: number, seed: number): Float64Array {
  const g = Float64Array.from(new Rng(seed).normalArray(d * d));
  return symEig(matMul(g, transpose(g, d), d), d).vectors!;
}

/** 2×2 rotation-conjugated covariance R(θ) diag(a, b) R(θ)ᵀ. */
function rotated2(theta: number, a: number, b: number): number[] {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return [c * c * a + s * s * b, c * s * (a - b), c * s * (a - b), s * s * a + c * c * b];
}

function blockDiagonal(blocks: number[][], d: number): Float64Array {
  const m = new Float64Array(d * d);
  blocks.forEach((b, k) => {
    const o = 2 * k;
    m[o * d + o] = b[0]!;
    m[o * d + o + 1] = b[1]!;
    m[(o + 1) * d + o] = b[2]!;
    m[(o + 1) * d + o + 1] = b[3]!;
  });
  return m;
}

/** Samples x = μ + Σ^½ z, row-major. */
function gaussianSamples(mean: number[], cov: Float64Array, n: number, seed: number): Float32Array {
  const d = mean.length;
  const root = sqrtmSym(cov, d);
  const z = new Rng(seed).normalArray(n * d);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      let s = mean[a]!;
      for (let b = 0; b < d; b++) s += root[a * d + b]! * z[i * d + b]!;
      out[i * d + a] = s;
    }
  }
  return out;
}

test('fid of a set with itself is 0', () => {
  const x = new Rng(1).normalArray(500 * 16);
  assert.ok(Math.abs(fid(x, x, 16)) < 1e-8);
});

test('fidFromStats matches the closed form for diagonal and rotated (non-commuting) covariances', () => {
  // Diagonal: FID = ‖Δμ‖² + Σ (√a − √b)².
  const d = 4;
  const diag = (v: number[]) => Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? v[k / (d + 1)]! : 0));
  const a: MeanCov = { mean: Float64Array.from([0, 1, 0, 0]), cov: diag([1, 4, 9, 0.25]), dim: d, n: 0 };
  const b: MeanCov = { mean: Float64Array.from([1, 1, 0, 2]), cov: diag([4, 1, 9, 1]), dim: d, n: 0 };
  const diagExpected = 1 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0 + (0.5 - 1) ** 2;
  assert.ok(Math.abs(fidFromStats(a, b) - diagExpected) < 1e-12);

  // 2×2 blocks with different rotations: per block tr sqrt(Σ1Σ2) = sqrt(tr(Σ1Σ2) + 2 sqrt(det Σ1 det Σ2)).
  // A common random rotation Q of both makes the matrices dense without changing the distance.
  const dim = 16;
  const rng = new Rng(5);
  const blocks1: number[][] = [];
  const blocks2: number[][] = [];
  let expected = 0;
  for (let k = 0; k < dim / 2; k++) {
    const [a1, b1, a2, b2] = [0.5 + rng.uniform(), 0.1 + 2 * rng.uniform(), 0.5 + rng.uniform(), 0.1 + 2 * rng.uniform()];
    const p = rotated2(rng.uniform() * Math.PI, a1, b1);
    const q = rotated2(rng.uniform() * Math.PI, a2, b2);
    blocks1.push(p);
    blocks2.push(q);
    const trPQ = p[0]! * q[0]! + p[1]! * q[2]! + p[2]! * q[1]! + p[3]! * q[3]!;
    expected += a1 + b1 + a2 + b2 - 2 * Math.sqrt(trPQ + 2 * Math.sqrt(a1 * b1 * a2 * b2));
  }
  const mu1 = Float64Array.from(rng.normalArray(dim));
  const mu2 = Float64Array.from(rng.normalArray(dim));
  for (let i = 0; i < dim; i++) expected += (mu1[i]! - mu2[i]!) ** 2;
  const qm = randomOrthogonal(dim, 9);
  const conj = (m: Float64Array) => matMul(matMul(qm, m, dim), transpose(qm, dim), dim);
  const rotate = (v: Float64Array) => Float64Array.from({ length: dim }, (_, i) => v.reduce((s, x, j) => s + qm[i * dim + j]! * x, 0));
  const s1: MeanCov = { mean: rotate(mu1), cov: conj(blockDiagonal(blocks1, dim)), dim, n: 0 };
  const s2: MeanCov = { mean: rotate(mu2), cov: conj(blockDiagonal(blocks2, dim)), dim, n: 0 };
  assert.ok(Math.abs(fidFromStats(s1, s2) - expected) < 1e-10, `${fidFromStats(s1, s2)} vs ${expected}`);
});

test('fid of samples from two Gaussians approaches the closed form', () => {
  const p = rotated2(0.4, 2, 0.5);
  const q = rotated2(1.3, 1, 0.2);
  const covP = blockDiagonal([p], 2);
  const covQ = blockDiagonal([q], 2);
  const trPQ = p[0]! * q[0]! + p[1]! * q[2]! + p[2]! * q[1]! + p[3]! * q[3]!;
  const expected = 0.5 ** 2 + 1 + 2 + 0.5 + 1 + 0.2 - 2 * Math.sqrt(trPQ + 2 * Math.sqrt(2 * 0.5 * 1 * 0.2));
  const x = gaussianSamples([0, 0], covP, 40000, 1);
  const y = gaussianSamples([0.5, 1], covQ, 40000, 2);
  const got = fid(x, y, 2);
  assert.ok(Math.abs(got - expected) < 0.03, `fid ${got} vs closed form ${expected}`);
  assert.throws(() => fid(x, y.subarray(0, 5), 2), /5 values is not a multiple of dim 2/);
});

/** Direct O(n²) unbiased MMD² with k(x, y) = (x·y/d + 1)³. */
function bruteMmd(x: Float32Array, y: Float32Array, n: number, d: number): number {
  const k = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += a[i * d + c]! * b[j * d + c]!;
    return (dot / d + 1) ** 3;
  };
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) {
        xx += k(x, i, x, j);
        yy += k(y, i, y, j);
      }
      xy += k(x, i, y, j);
    }
  }
  return (xx + yy) / (n * (n - 1)) - (2 * xy) / (n * n);
}

test('kid equals the brute-force unbiased MMD² when each subset is the whole set', () => {
  const before = tf.memory().numTensors;
  const n = 30;
  const d = 5;
  const x = new Rng(1).normalArray(n * d);
  const y = new Rng(2).normalArray(n * d, 0.3, 1.2);
  const r = kid(x, y, d, { subsets: 3, subsetSize: 1000, seed: 4 });
  const expected = bruteMmd(x, y, n, d);
  assert.ok(expected > 0);
  assert.ok(Math.abs(r.mean - expected) < 1e-5 * Math.max(1, Math.abs(expected)), `${r.mean} vs ${expected}`);
  assert.ok(r.std < 1e-6);
  assert.equal(tf.memory().numTensors, before);
});

test('kid is ≈ 0 for the same distribution, clearly positive for a shifted one, and seeded', () => {
  const before = tf.memory().numTensors;
  const d = 8;
  const a = new Rng(1).normalArray(2000 * d);
  const b = new Rng(2).normalArray(2000 * d);
  const shifted = new Rng(3).normalArray(2000 * d, 0.5);
  const same = kid(a, b, d, { subsets: 10, subsetSize: 500, seed: 1 });
  const diff = kid(a, shifted, d, { subsets: 10, subsetSize: 500, seed: 1 });
  assert.ok(Math.abs(same.mean) < 0.01, `same-distribution KID ${same.mean}`);
  // Mean shift 0.5 per coordinate: the cubic kernel's linear term alone contributes 3‖Δμ‖²/d = 0.75.
  assert.ok(diff.mean > 0.3, `shifted KID ${diff.mean}`);
  assert.deepEqual(kid(a, shifted, d, { subsets: 10, subsetSize: 500, seed: 1 }), diff);
  assert.notDeepEqual(kid(a, shifted, d, { subsets: 10, subsetSize: 500, seed: 2 }), diff);
  assert.equal(tf.memory().numTensors, before);
});

test('inceptionScore: uniform one-hot predictions give the class count, constant predictions give 1', () => {
  const classes = 10;
  const n = 200;
  const oneHot = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) oneHot[i * classes + (i % classes)] = 1;
  const is = inceptionScore(oneHot, n, classes, 10);
  assert.ok(Math.abs(is.mean - 10) < 1e-9);
  assert.ok(is.std < 1e-9);
  const constant = new Float32Array(n * classes).fill(0.1);
  assert.ok(Math.abs(inceptionScore(constant, n, classes).mean - 1) < 1e-6);
  // Every sample confidently class 3: no diversity, IS = 1.
  const collapsed = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) collapsed[i * classes + 3] = 1;
  assert.ok(Math.abs(inceptionScore(collapsed, n, classes).mean - 1) < 1e-12);
  // Two equally used classes, soft predictions (0.9/0.1): IS = exp(KL([.9,.1] ‖ [.5,.5])).
  const soft = new Float32Array(100 * 2);
  for (let i = 0; i < 100; i++) soft.set(i % 2 ? [0.9, 0.1] : [0.1, 0.9], i * 2);
  const expected = Math.exp(0.9 * Math.log(0.9 / 0.5) + 0.1 * Math.log(0.1 / 0.5));
  assert.ok(Math.abs(inceptionScore(soft, 100, 2, 5).mean - expected) < 1e-6);
  assert.throws(() => inceptionScore(soft, 99, 2), /expected n·classes = 198/);
});
