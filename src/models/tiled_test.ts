/**
 * Tiled inference is exact for a network whose receptive field fits in the overlap: a conv → pixel
 * shuffle → conv stack (radius 2 LR pixels) gives, tile by tile, exactly the whole-image output, at
 * sizes that are not multiples of the tile; tile origins cover every pixel; no tensor leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { Network } from './network.ts';
import { runTiled, tileStarts } from './tiled.ts';

await initBackend('wasm', { quiet: true });

test('tile origins: interiors cover the axis, the last tile ends at the edge', () => {
  assert.deepEqual(tileStarts(50, 64, 8), [0]);
  assert.deepEqual(tileStarts(100, 40, 8), [0, 24, 48, 60]);
  assert.throws(() => tileStarts(100, 16, 8), /leave no interior/);
});

test('tiled ×2 upscaling equals the whole-image pass when the receptive field fits in the overlap', async () => {
  const net = new Network('tiny_sr', {
    inputs: { x: { shape: [8, 8, 3] } },
    nodes: [
      { name: 'c1', layer: { type: 'conv2d', filters: 12, kernel: 3, stride: 1, pad: 'same' }, inputs: ['x'] },
      { name: 'ps', layer: { type: 'pixelShuffle', factor: 2 }, inputs: ['c1'] },
      { name: 'c2', layer: { type: 'conv2d', filters: 3, kernel: 3, stride: 1, pad: 'same' }, inputs: ['ps'] },
    ],
    outputs: ['c2'],
  }, new Rng(3));
  try {
    const [h, w] = [37, 51];
    const x = new Rng(4).uniformArray(h * w * 3, -1, 1);
    const whole = tf.tidy(() => net.apply(tf.tensor4d(x, [1, h, w, 3]), { training: false }).dataSync() as Float32Array);
    const before = tf.memory().numTensors;
    const tiled = await runTiled((t) => net.apply(t, { training: false }), x, [h, w, 3], 2, 3, { tile: 16, overlap: 3 });
    assert.equal(tf.memory().numTensors, before, 'tiling leaked tensors');
    assert.equal(tiled.length, whole.length);
    let worst = 0;
    for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(tiled[i]! - whole[i]!));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    // With no overlap the seams see zero padding: the result must differ (the test can tell).
    const seams = await runTiled((t) => net.apply(t, { training: false }), x, [h, w, 3], 2, 3, { tile: 16, overlap: 0 });
    assert.ok(seams.some((v, i) => Math.abs(v - whole[i]!) > 1e-3));
  } finally {
    net.dispose();
  }
});
