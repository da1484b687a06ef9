import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng } from '../core/rng.ts';
import { densityCoverage, manifoldMetrics, precisionRecall } from './prdc.ts';

await tf.setBackend('cpu');

/** Points on the x axis of a 2-D feature space. */
const onLine = (xs: number[]) => Float32Array.from(xs.flatMap((x) => [x, 0]));

test('precision and recall of identical sets are 1; of disjoint far sets 0', () => {
  const before = tf.memory().numTensors;
  const x = new Rng(1).normalArray(300 * 8);
  assert.deepEqual(precisionRecall(x, x, 8, 3), { precision: 1, recall: 1 });
  const far = new Rng(2).normalArray(300 * 8, 100);
  assert.deepEqual(precisionRecall(x, far, 8, 3), { precision: 0, recall: 0 });
  const dc = densityCoverage(x, far, 8, 5);
  assert.deepEqual(dc, { density: 0, coverage: 0 });
  assert.equal(tf.memory().numTensors, before);
});

test('hand-placed points: precision, recall, density, coverage', () => {
  // Real 0, 1, 2, 3: every 1st-nearest-neighbour radius is 1.
  // Fake 0.5 lies in the balls of reals 0 and 1 (distance 0.5); fake 10 lies in no real ball.
  // Fake radii (k = 1): both 9.5, so every real lies in the ball of fake 0.5.
  const real = onLine([0, 1, 2, 3]);
  const fake = onLine([0.5, 10]);
  assert.deepEqual(precisionRecall(real, fake, 2, 1), { precision: 0.5, recall: 1 });
  // Precision/recall balls are closed: fake 4 is exactly on the boundary of real 3's ball.
  assert.deepEqual(precisionRecall(real, onLine([4, 20]), 2, 1), { precision: 0.5, recall: 1 });
  // density = (2 + 0) / (k · 2 fakes) = 1; coverage = balls of reals 0 and 1 → 2/4.
  assert.deepEqual(densityCoverage(real, fake, 2, 1), { density: 1, coverage: 0.5 });
  // With k = 2 the radii are 2, 1, 1, 2: fake 0.5 sits in balls 0 and 1 (not 2: 1.5 > 1) → 2 / (2·2).
  assert.deepEqual(densityCoverage(real, fake, 2, 2), { density: 0.5, coverage: 0.5 });
  // Balls are open for density/coverage: fake 1 is on the boundary of balls 0 and 2, so only in ball 1
  // (closed balls would give density 1.5, coverage 0.75).
  assert.deepEqual(densityCoverage(real, onLine([1, 20]), 2, 1), { density: 0.5, coverage: 0.25 });
});

test('density rewards fakes packed near real points beyond 1 and saturates coverage', () => {
  const real = onLine([0, 1, 2, 3, 4]);
  // Each fake is within 0.2 of real 2, so lies in its ball and one neighbour's (radius 1): 2 balls each.
  const fake = onLine([1.8, 1.9, 2.1, 2.2]);
  const r = densityCoverage(real, fake, 2, 1);
  assert.equal(r.coverage, 3 / 5);
  assert.equal(r.density, 2);
});

/** Direct reference in float64. */
function bruteForce(real: Float32Array, fake: Float32Array, d: number, prK: number, dcK: number) {
  const nr = real.length / d;
  const nf = fake.length / d;
  const dist = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (a[i * d + c]! - b[j * d + c]!) ** 2;
    return Math.sqrt(s);
  };
  const kth = (a: Float32Array, n: number, k: number) =>
    Array.from({ length: n }, (_, i) => {
      const ds = Array.from({ length: n }, (_, j) => dist(a, i, a, j)).sort((p, q) => p - q);
      return ds[k]!;
    });
  const rPr = kth(real, nr, prK);
  const fPr = kth(fake, nf, prK);
  const rDc = kth(real, nr, dcK);
  let precision = 0;
  let density = 0;
  for (let j = 0; j < nf; j++) {
    let inside = false;
    for (let i = 0; i < nr; i++) {
      const dd = dist(real, i, fake, j);
      if (dd <= rPr[i]!) inside = true;
      if (dd < rDc[i]!) density++;
    }
    if (inside) precision++;
  }
  let recall = 0;
  let coverage = 0;
  for (let i = 0; i < nr; i++) {
    let inFake = false;
    let covered = false;
    for (let j = 0; j < nf; j++) {
      const dd = dist(real, i, fake, j);
      if (dd <= fPr[j]!) inFake = true;
      if (dd < rDc[i]!) covered = true;
    }
    if (inFake) recall++;
    if (covered) coverage++;
  }
  return { precision: precision / nf, recall: recall / nr, density: density / (dcK * nf), coverage: coverage / nr };
}

test('manifoldMetrics matches a brute-force reference, whatever the block size', () => {
  const before = tf.memory().numTensors;
  const d = 6;
  const real = new Rng(3).normalArray(150 * d);
  const fake = new Rng(4).normalArray(120 * d, 0.3, 1.3);
  const expected = bruteForce(real, fake, d, 3, 5);
  for (const blockEntries of [50, 1000, 1e7]) {
    const got = manifoldMetrics(real, fake, d, { prK: 3, dcK: 5, blockEntries });
    for (const key of ['precision', 'recall', 'density', 'coverage'] as const) {
      assert.ok(Math.abs(got[key]! - expected[key]) < 1e-9, `${key} (block ${blockEntries}): ${got[key]} vs ${expected[key]}`);
    }
  }
  // A plausible regime, not a degenerate 0 or 1.
  assert.ok(expected.precision > 0.2 && expected.precision < 1);
  assert.equal(tf.memory().numTensors, before);
});

test('manifold metrics reject bad k and shapes', () => {
  const x = onLine([0, 1, 2]);
  assert.throws(() => precisionRecall(x, x, 2, 3), /needs more than k samples/);
  assert.throws(() => densityCoverage(x, x, 2, -1), /non-negative integer/);
  assert.throws(() => precisionRecall(x.subarray(0, 5), x, 2), /5 values is not a multiple of dim 2/);
});
