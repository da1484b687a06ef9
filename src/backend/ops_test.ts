import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.ts';
import { Rng } from '../core/rng.ts';

await initBackend('wasm', { quiet: true });
const rng = new Rng(7);

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(1e-6, scale);
}

test('Tile gradient: sum of the upstream gradient over the repetitions (closed form)', () => {
  for (const [shape, reps] of [[[3], [4]], [[2, 3], [3, 2]], [[2, 1, 3], [1, 4, 2]], [[2, 3, 1, 2], [2, 1, 3, 1]], [[1, 2, 1, 1, 2], [2, 2, 1, 3, 1]]]) {
    const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
    const outShape = shape!.map((d, i) => d * reps![i]!);
    const w = rng.normalArray(size(outShape));
    const got = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, reps!), tf.tensor(w, outShape))))(tf.zeros(shape!)).dataSync());
    // Reference: every output position adds its weight to the input position it copies.
    const want = new Float32Array(size(shape!));
    const outStrides = outShape.map((_, i) => size(outShape.slice(i + 1)));
    const inStrides = shape!.map((_, i) => size(shape!.slice(i + 1)));
    for (let o = 0; o < w.length; o++) {
      let src = 0;
      outShape.forEach((_, axis) => {
        const coord = Math.floor(o / outStrides[axis]!) % outShape[axis]!;
        src += (coord % shape![axis]!) * inStrides[axis]!;
      });
      want[src]! += w[o]!;
    }
    assert.ok(maxRelErr(got, want) < 1e-5, `tile [${shape}] × [${reps}]`);
  }
});

test('second-order gradient through broadcastTo (Tile) matches the same model written with broadcasting', () => {
  const x = tf.tensor(rng.normalArray(8 * 6 * 6 * 4), [8, 6, 6, 4]);
  const gamma = tf.variable(tf.tensor(rng.normalArray(4), [4]));
  const penaltyGrad = (scale: (g: tf.Tensor, like: tf.Tensor) => tf.Tensor) => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(tf.mul(xx, scale(gamma, xx)))))(x);
      return tf.sum(tf.square(dx)) as tf.Scalar;
    }, [gamma]);
    value.dispose();
    return grads[gamma.name]!.dataSync();
  });
  const before = tf.memory().numTensors;
  const viaTile = penaltyGrad((g, like) => tf.broadcastTo(g, like.shape));
  const viaBroadcast = penaltyGrad((g) => g);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  assert.ok(maxRelErr(viaTile, viaBroadcast) < 1e-5, `relErr ${maxRelErr(viaTile, viaBroadcast)}`);
  // Closed form: ∂/∂x Σ (xγ)² = 2xγ², and d/dγ Σ (2xγ²)² = Σ 16 x² γ³ per channel.
  const xs = x.dataSync();
  const g = gamma.dataSync();
  const want = new Float32Array(4);
  for (let i = 0; i < xs.length; i++) want[i % 4]! += 16 * g[i % 4]! ** 3 * xs[i]! ** 2;
  assert.ok(maxRelErr(viaTile, want) < 1e-4, `closed form relErr ${maxRelErr(viaTile, want)}`);
  x.dispose();
  gamma.dispose();
});
