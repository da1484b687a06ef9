import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptImages, adaptImageSet, applyPlan, bytesToRange, centreCropPlan, convertChannels, imageToInput } from './resize.ts';
import type { ImageSet } from './dataset.ts';

function resizeGrey(src: number[], h: number, w: number, size: number): number[] {
  const out = new Float32Array(size * size);
  applyPlan(centreCropPlan(h, w, size), Float32Array.from(src), w, 1, out);
  return [...out];
}

function close(a: number[], b: number[], tol = 1e-5): void {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < tol, `index ${i}: ${v} vs ${b[i]}`));
}

test('area downscale by 2 averages 2×2 blocks', () => {
  // 4×4 holding 0..15 row-major: the top-left block is {0, 1, 4, 5}, mean 2.5.
  const src = Array.from({ length: 16 }, (_, i) => i);
  close(resizeGrey(src, 4, 4, 2), [2.5, 4.5, 10.5, 12.5]);
});

test('area downscale by a non-integer factor weights partial pixels by overlap', () => {
  // 3 → 2: output 0 covers source [0, 1.5): (1·a + 0.5·b) / 1.5.
  const src = [0, 3, 6, 0, 3, 6, 0, 3, 6];
  close(resizeGrey(src, 3, 3, 2), [1, 5, 1, 5]);
});

test('bilinear upscale with half-pixel centres and clamped edges', () => {
  const out = resizeGrey([0, 4, 0, 4], 2, 2, 4);
  close(out.slice(0, 4), [0, 1, 3, 4]);
  close(out.slice(12, 16), [0, 1, 3, 4]);
});

test('centre crop keeps the middle square of a wide or tall image', () => {
  // 2 rows × 4 cols: centre 2×2 is columns 1..2.
  close(resizeGrey([9, 1, 2, 9, 9, 3, 4, 9], 2, 4, 2), [1, 2, 3, 4]);
  // 4 rows × 2 cols: centre is rows 1..2.
  close(resizeGrey([9, 9, 1, 2, 3, 4, 9, 9], 4, 2, 2), [1, 2, 3, 4]);
});

test('resizing preserves a constant image and the mean under integer area factors', () => {
  close(resizeGrey(new Array(49).fill(0.25), 7, 7, 32), new Array(1024).fill(0.25));
  const src = Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const out = resizeGrey(src, 8, 8, 4);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(mean(out) - mean(src)) < 1e-6);
});

test('channel conversion: grey → RGB replicates, RGB → grey uses BT.601 luma', () => {
  assert.deepEqual([...convertChannels(Float32Array.of(0.5, -1), 2, 1, 3)], [0.5, 0.5, 0.5, -1, -1, -1]);
  const grey = convertChannels(Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 3, 3, 1);
  close([...grey], [0.299, 0.587, 0.114]);
  assert.throws(() => convertChannels(new Float32Array(8), 2, 4, 1), /cannot convert images from 4 to 1 channels/);
});

test('adaptImages: per-image processing of a batch, identity returns the input', () => {
  const x = Float32Array.from({ length: 2 * 16 }, (_, i) => (i < 16 ? -1 : 1));
  const same = adaptImages(x, 2, [4, 4, 1], {});
  assert.equal(same.x, x);
  const out = adaptImages(x, 2, [4, 4, 1], { imageSize: 2, channels: 3 });
  assert.deepEqual(out.shape, [2, 2, 3]);
  assert.deepEqual([...out.x], [...new Array(12).fill(-1), ...new Array(12).fill(1)]);
  assert.throws(() => adaptImages(x, 2, [4, 4, 1], { channels: 2 }), /channels must be 1 or 3, got 2/);
  assert.throws(() => adaptImages(x, 2, [4, 4, 1], { imageSize: 0 }), /image size must be a positive integer, got 0/);
});

test('adaptImageSet keeps labels and metadata', () => {
  const set: ImageSet = { pixels: new Uint8Array(3 * 4 * 4), labels: Int32Array.of(1, 2, 0), count: 3, shape: [4, 4, 1], numClasses: 3, classNames: ['a', 'b', 'c'] };
  assert.equal(adaptImageSet(set, { imageSize: 4, channels: 1 }), set);
  const big = adaptImageSet(set, { imageSize: 8 });
  assert.deepEqual(big.shape, [8, 8, 1]);
  assert.ok(big.pixels instanceof Uint8Array);
  assert.equal(big.pixels.length, 3 * 64);
  assert.deepEqual(big.labels, set.labels);
  assert.deepEqual(big.classNames, ['a', 'b', 'c']);
});

test('imageToInput: a wide colour image is centre-cropped, resized, turned to luma for a 1-channel input and mapped into the range', () => {
  // 4×2 RGBA: the middle two columns are the centre square; white on the left of it, red on the right.
  const px = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 0]];
  const rgba = new Uint8Array(4 * 2 * 4);
  for (let y = 0; y < 2; y++) px.forEach((c, x) => rgba.set([...c, 255], (y * 4 + x) * 4));
  const img = { width: 4, height: 2, rgba };
  close([...imageToInput(img, [2, 2, 3], [-1, 1])], [1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1]);
  // BT.601 luma of red is 0.299 · 255 → byte 76.
  close([...imageToInput(img, [1, 1, 1], [0, 1])], [Math.round((255 + 76) / 2) / 255], 1e-6);
  close([...bytesToRange(Uint8Array.from([0, 51, 255]), [-1, 1])], [-1, -0.6, 1]);
  assert.throws(() => imageToInput(img, [2, 3, 1], [-1, 1]), /square/);
  assert.throws(() => imageToInput({ width: 0, height: 0, rgba: new Uint8Array(0) }, [2, 2, 1], [-1, 1]), /no pixels/);
});
