import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradient functions in Node (tfjs-core's Node bundle has none)
import { Rng } from '../../../src/core/rng.ts';
import { DEFAULT_CONFIG, Gan2d, LOSSES } from './gan2d.ts';
import { drawn, grid25, ring8, sampleMixture } from './toy_data.ts';

test('ring8 and grid25 have the documented modes and spread', () => {
  const ring = ring8();
  assert.equal(ring.modes.length, 8);
  for (const [x, y] of ring.modes) assert.ok(Math.abs(Math.hypot(x!, y!) - 2) < 1e-12);
  const grid = grid25();
  assert.equal(grid.modes.length, 25);
  assert.deepEqual(grid.modes[0], [-4, -4]);
  assert.deepEqual(grid.modes[24], [4, 4]);
  // Every sample lies near one mode; the offsets have the mixture's std.
  const pts = sampleMixture(ring, 4000, new Rng(1));
  let sum2 = 0;
  for (let i = 0; i < 4000; i++) {
    const d2 = Math.min(...ring.modes.map(([mx, my]) => (pts[2 * i]! - mx!) ** 2 + (pts[2 * i + 1]! - my!) ** 2));
    sum2 += d2;
  }
  const std = Math.sqrt(sum2 / 8000);
  assert.ok(Math.abs(std - 0.02) < 0.002, `std ${std}`);
});

test('every playground loss trains without leaking tensors and gives finite losses', async () => {
  await tf.setBackend('cpu');
  for (const loss of LOSSES) {
    const gan = new Gan2d({ ...DEFAULT_CONFIG, loss, hidden: 16, batch: 32, dSteps: 2 }, ring8());
    gan.train();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) gan.train();
    assert.equal(tf.memory().numTensors, before, `${loss} leaks tensors`);
    const { d, g } = gan.losses();
    assert.ok(Number.isFinite(d) && Number.isFinite(g), `${loss}: d ${d}, g ${g}`);
    const cov = gan.coverage(500);
    assert.equal(cov.num_modes, 8);
    assert.equal(gan.discriminatorGrid(10, 3).length, 100);
    assert.equal(gan.step, 6);
    const count = tf.memory().numTensors;
    gan.dispose();
    assert.ok(tf.memory().numTensors < count);
  }
});

test('the non-saturating, hinge and least-squares GANs move their samples onto a single mode', async () => {
  await tf.setBackend('cpu');
  const target = [1.5, 1.5];
  for (const loss of ['nonsaturating', 'hinge', 'lsgan'] as const) {
    const gan = new Gan2d({ ...DEFAULT_CONFIG, loss, hidden: 32, batch: 128, lrD: 2e-3, lrG: 2e-3 }, drawn([target], 3));
    // Distance from the mean of the generated samples to the mode.
    const offset = () => {
      const s = gan.sample(1000);
      let mx = 0;
      let my = 0;
      for (let i = 0; i < 1000; i++) {
        mx += s[2 * i]! / 1000;
        my += s[2 * i + 1]! / 1000;
      }
      return Math.hypot(mx - target[0]!, my - target[1]!);
    };
    const before = offset();
    for (let i = 0; i < 150; i++) gan.train();
    const after = offset();
    gan.dispose();
    // Measured: 2.40 -> 0.03 (non-saturating), 0.14 (hinge), 0.02 (least squares).
    assert.ok(after < 0.15 * before, `${loss}: offset ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  }
});
