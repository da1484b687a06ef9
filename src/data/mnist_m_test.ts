/**
 * The MNIST-M-like domain: the |patch − digit| blend on a known background, crops that stay inside the
 * background image, the same images for a split in every run (and different ones for train and test),
 * procedural textures when no CIFAR-10 folder is given, and the dataset through the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageSet } from './dataset.ts';
import { loadMnist } from './mnist.ts';
import { MNIST_M_SEEDS, mnistMSet } from './mnist_m.ts';
import { dataFlagOverrides, loadEvalSet } from './registry.ts';

function digits(values: number[][]): ImageSet {
  const pixels = new Uint8Array(values.length * 784);
  values.forEach((v, i) => pixels.set(v, i * 784));
  return { pixels, labels: Int32Array.from(values.map((_, i) => i)), count: values.length, shape: [28, 28, 1], numClasses: 10 };
}

/** One 32×32 background of a single colour. */
function solid(rgb: [number, number, number]): ImageSet {
  const pixels = new Uint8Array(32 * 32 * 3);
  for (let p = 0; p < 1024; p++) pixels.set(rgb, 3 * p);
  return { pixels, labels: null, count: 1, shape: [32, 32, 3], numClasses: 0 };
}

test('mnist-m blends each digit as |patch − digit| per channel; labels are the digits', () => {
  // Pixel 0 fully on, pixel 1 half on, the rest off.
  const d = digits([[255, 128, ...new Array(782).fill(0)]]);
  const m = mnistMSet(d, solid([200, 50, 10]), 1);
  assert.deepEqual(m.shape, [28, 28, 3]);
  assert.deepEqual(Array.from(m.pixels.subarray(0, 9)), [55, 205, 245, 72, 78, 118, 200, 50, 10]);
  assert.deepEqual(Array.from(m.labels!), [0]);
});

test('mnist-m crops lie inside the background image and a split is the same in every run', () => {
  // A background whose pixels encode their own coordinates: every crop is a 28×28 window of it.
  const bg: ImageSet = { pixels: new Uint8Array(32 * 32 * 3), labels: null, count: 1, shape: [32, 32, 3], numClasses: 0 };
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) bg.pixels.set([8 * x, 8 * y, 0], (y * 32 + x) * 3);
  const zeros = digits(Array.from({ length: 20 }, () => new Array(784).fill(0)));
  const m = mnistMSet(zeros, bg, MNIST_M_SEEDS.train);
  for (let i = 0; i < 20; i++) {
    const img = m.pixels.subarray(i * 2352, (i + 1) * 2352);
    const x0 = img[0]! / 8;
    const y0 = img[1]! / 8;
    const flipped = img[3]! < img[0]!;
    assert.ok(y0 <= 4 && (flipped ? x0 >= 27 : x0 <= 4), `crop ${i} starts at (${x0}, ${y0})`);
    // Rows go down by one background row; columns step by one (either way).
    assert.equal(img[(27 * 28) * 3 + 1]! / 8, y0 + 27);
    assert.equal(Math.abs(img[27 * 3]! / 8 - x0), 27);
  }
  assert.deepEqual(mnistMSet(zeros, bg, MNIST_M_SEEDS.train).pixels, m.pixels);
  assert.notDeepEqual(mnistMSet(zeros, bg, MNIST_M_SEEDS.test).pixels, m.pixels);
});

test('without backgrounds mnist-m draws colour textures that differ between images and keep the strokes visible', () => {
  const d = loadMnist('test', { limit: 50 });
  const m = mnistMSet(d, null, MNIST_M_SEEDS.test);
  const means = Array.from({ length: 50 }, (_, i) => {
    const img = m.pixels.subarray(i * 2352, (i + 1) * 2352);
    return [0, 1, 2].map((c) => img.filter((_, k) => k % 3 === c).reduce((a, b) => a + b, 0) / 784);
  });
  // Colours vary across images and channels (not a gray or constant background).
  const spread = (c: number) => Math.max(...means.map((v) => v[c]!)) - Math.min(...means.map((v) => v[c]!));
  for (const c of [0, 1, 2]) assert.ok(spread(c) > 60, `channel ${c} mean spread ${spread(c)}`);
  // Where a digit is fully on, the pixel is the inverted patch: it differs from its background neighbourhood on average.
  let strokeDiff = 0;
  let strokes = 0;
  for (let i = 0; i < 50; i++) {
    for (let p = 0; p < 784; p++) {
      if (d.pixels[i * 784 + p]! < 250) continue;
      const v = m.pixels.subarray((i * 784 + p) * 3, (i * 784 + p) * 3 + 3);
      strokeDiff += Math.abs(v[0]! - means[i]![0]!) + Math.abs(v[1]! - means[i]![1]!) + Math.abs(v[2]! - means[i]![2]!);
      strokes++;
    }
  }
  assert.ok(strokeDiff / strokes > 60, `mean stroke contrast ${strokeDiff / strokes}`);
});

test('mnist-m through the registry: MNIST labels, colour 28×28; --data-dir goes to the mnist-m side of an unpaired preset', async () => {
  const s = await loadEvalSet({ name: 'mnist-m', limit: 30 }, 'test');
  assert.deepEqual(s.shape, [28, 28, 3]);
  assert.deepEqual(Array.from(s.labels!), Array.from(loadMnist('test', { limit: 30 }).labels!));
  assert.throws(() => mnistMSet(s as ImageSet, null, 1), /\[28, 28, 1\]/);
  const data = { name: 'unpaired', a: { name: 'mnist' }, b: { name: 'mnist-m' } };
  assert.deepEqual(dataFlagOverrides(data, { dataDir: '/cifar' }), { a: {}, b: { dir: '/cifar' } });
  const fashion: { name: string } = { name: 'unpaired', a: { name: 'mnist' }, b: { name: 'fashion-mnist' } } as { name: string };
  assert.throws(() => dataFlagOverrides(fashion, { dataDir: '/x' }), /two domains/);
});
