import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToUnit } from './dataset.ts';
import type { RawIdxSplit } from './mnist.ts';
import { stackedLabel, stackedMnistSet, stackedMnistSource } from './stacked_mnist.ts';

/** 30 fake 2×2 "digits": image j has every pixel 8·j and label j % 10, so each channel names its source image. */
function fakeDigits(): RawIdxSplit {
  const count = 30;
  const pixels = new Uint8Array(count * 4);
  for (let j = 0; j < count; j++) pixels.fill(8 * j, j * 4, (j + 1) * 4);
  return { count, rows: 2, cols: 2, pixels, labels: Uint8Array.from({ length: count }, (_, j) => j % 10) };
}

test('each sample stacks three digits as R, G, B and is labelled 100·d0 + 10·d1 + d2', () => {
  const digits = fakeDigits();
  const src = stackedMnistSource(1, { digits });
  assert.deepEqual(src.shape, [2, 2, 3]);
  assert.equal(src.numClasses, 1000);
  assert.equal(src.size, Infinity);
  const { x, labels } = src.nextBatch(200);
  const used = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const sources = [0, 1, 2].map((ch) => Math.round((x[i * 12 + ch]! + 1) * 127.5) / 8);
    for (let p = 0; p < 4; p++) for (let ch = 0; ch < 3; ch++) assert.equal(x[i * 12 + p * 3 + ch], x[i * 12 + ch]);
    sources.forEach((j) => used.add(j));
    assert.equal(labels![i], stackedLabel(sources[0]! % 10, sources[1]! % 10, sources[2]! % 10));
  }
  assert.equal(used.size, 30, 'all 30 digits drawn in 600 draws');
});

test('determinism, state round trip, and the set equals the stream head', () => {
  const digits = fakeDigits();
  const a = stackedMnistSource(7, { digits });
  const first = a.nextBatch(5);
  assert.deepEqual(stackedMnistSource(7, { digits }).nextBatch(5), first);
  assert.notDeepEqual(stackedMnistSource(8, { digits }).nextBatch(5).x, first.x);
  a.nextBatch(5);
  a.nextBatch(5);
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const want = [a.nextBatch(4), a.nextBatch(4)];
  const b = stackedMnistSource(7, { digits });
  b.setState(saved);
  assert.deepEqual([b.nextBatch(4), b.nextBatch(4)], want);
  assert.throws(() => b.setState({ kind: 'array' }), /stacked-mnist: invalid data-source state \(expected kind 'stacked-mnist'\)/);

  const set = stackedMnistSet(5, 7, { digits });
  assert.deepEqual(bytesToUnit(set.pixels), first.x);
  assert.deepEqual(set.labels, first.labels);
  assert.equal(set.count, 5);
  assert.throws(() => stackedMnistSet(0, 1, { digits }), /sample count must be a positive integer, got 0/);
});

test('real MNIST: 28×28×3 bytes, labels in 0..999 and spread over the 1,000 modes', () => {
  const set = stackedMnistSet(3000, 123);
  assert.deepEqual(set.shape, [28, 28, 3]);
  assert.equal(set.pixels.length, 3000 * 28 * 28 * 3);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of set.pixels) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.deepEqual([lo, hi], [0, 255]);
  const modes = new Set<number>();
  for (const l of set.labels!) {
    assert.ok(Number.isInteger(l) && l >= 0 && l <= 999, `label ${l}`);
    modes.add(l);
  }
  // 3,000 near-uniform draws over 1,000 modes cover about 1000·(1 − e^−3) ≈ 950 of them.
  assert.ok(modes.size > 900, `${modes.size} distinct modes`);
  // The hundreds digit is the R channel's digit: about 10% each.
  const hundreds = new Array<number>(10).fill(0);
  for (const l of set.labels!) hundreds[Math.floor(l / 100)]!++;
  for (const c of hundreds) assert.ok(c > 200 && c < 400, `hundreds digit count ${c}`);
});
