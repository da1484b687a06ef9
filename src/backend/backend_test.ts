import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, initBackend, wasmKernelHooks, type BackendName } from './backend.ts';

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const hasTfjsNode = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');

test('wasm: registers the training kernels, runs pending hooks once, and is idempotent', async () => {
  let hookRuns = 0;
  wasmKernelHooks.push(() => {
    hookRuns++;
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'hooks run after Gantry registers its kernels');
  });
  assert.equal(await initBackend('wasm', { quiet: true }), 'wasm');
  assert.equal(activeBackend(), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(hookRuns, 1);
  assert.equal(await initBackend('wasm'), 'wasm');
  assert.equal(hookRuns, 1, 'a second call does not rerun hooks');
  // A conv net trains: the filter gradient exists on wasm.
  const dw = tf.tidy(() => {
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    return tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))(tf.ones([3, 3, 1, 1]));
  });
  // Each of the 3×3 taps sees 2×2 output positions of an all-ones input.
  assert.deepEqual(Array.from(dw.dataSync()), new Array(9).fill(4));
  dw.dispose();
});

test('cpu when asked, and back to wasm', async () => {
  assert.equal(await initBackend('cpu', { quiet: true }), 'cpu');
  assert.equal(activeBackend(), 'cpu');
  assert.equal(await initBackend('wasm'), 'wasm');
});

test('auto picks tfjs-node when installed, else wasm', async () => {
  assert.equal(await initBackend('auto'), hasTfjsNode ? 'tensorflow' : 'wasm');
});

test("'tensorflow' without tfjs-node fails with a message naming the packages", { skip: hasTfjsNode }, async () => {
  await assert.rejects(initBackend('tensorflow'), /@tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/);
  assert.equal(activeBackend(), 'wasm', 'the failed switch leaves the backend as it was');
});

test('bad arguments are rejected clearly', async () => {
  await assert.rejects(initBackend('gpu' as BackendName), /unknown backend 'gpu': expected one of auto, tensorflow, wasm, cpu/);
  await assert.rejects(initBackend('wasm', { threads: 0 }), /threads must be an integer >= 1, got 0/);
});
