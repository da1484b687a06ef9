import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Rng } from '../core/rng.ts';
import { ImagePool } from './image_pool.ts';

await initBackend('cpu', { quiet: true });

/** Images [n, 1] whose single value is an id, so what comes out shows where it came from. */
const ids = (from: number, n: number) => tf.tensor2d(Array.from({ length: n }, (_, i) => from + i), [n, 1]);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

test('a pool passes images through until full, then returns pooled ones for about half of the new ones', () => {
  const pool = new ImagePool(4, [1]);
  const rng = new Rng(7);
  const first = ids(0, 4);
  const out1 = pool.query(first, rng);
  assert.deepEqual(values(out1), [0, 1, 2, 3]);
  assert.equal(pool.count, 4);
  assert.deepEqual(values(pool.images), [0, 1, 2, 3]);
  let swapped = 0;
  for (let round = 0; round < 50; round++) {
    const batch = ids(100 + round * 2, 2);
    const out = values(pool.query(batch, rng));
    const fresh = values(batch);
    out.forEach((v, i) => {
      if (v !== fresh[i]) swapped++;
    });
    // The pool always holds 4 distinct images drawn from everything seen so far.
    const held = values(pool.images);
    assert.equal(new Set(held).size, 4);
    tf.dispose(batch);
  }
  // Each of 100 queries swaps with probability ½: 50 ± 3σ (σ = 5).
  assert.ok(swapped > 35 && swapped < 65, `${swapped} of 100 swapped`);
  pool.dispose();
  tf.dispose([first, out1]);
});

test('the same stream gives the same choices; setState restores contents and fill count', () => {
  const run = (pool: ImagePool, rng: Rng, rounds: number, from: number) => {
    const outs: number[] = [];
    for (let r = 0; r < rounds; r++) outs.push(...values(pool.query(ids(from + r * 3, 3), rng)));
    return outs;
  };
  const a = new ImagePool(5, [1]);
  const ra = new Rng(3);
  run(a, ra, 4, 0);
  const b = new ImagePool(5, [1]);
  b.setState(a.images, a.count);
  const rb = new Rng(ra.getState());
  assert.deepEqual(run(b, rb, 6, 50), run(a, ra, 6, 50));
  assert.throws(() => b.setState(tf.zeros([3, 1]), 2), /shape \[3,1\]/);
  assert.throws(() => b.setState(a.images, 9), /fill count 9/);
  a.dispose();
  b.dispose();
});

test('a size-0 pool is the identity', () => {
  const pool = new ImagePool(0, [1]);
  assert.deepEqual(values(pool.query(ids(5, 3), new Rng(1))), [5, 6, 7]);
  pool.dispose();
});
