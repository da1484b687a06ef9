import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentSource } from './augment.ts';
import { arraySource, type ImageSet } from './dataset.ts';
import { pairedSource } from './paired.ts';
import { toySource } from './toy.ts';

/** `count` images h × w × 1 whose pixel (y, x) of image i is byte 10·i + w·y + x (distinct within an image). */
function rampSet(count: number, h: number, w: number): ImageSet {
  const pixels = Uint8Array.from({ length: count * h * w }, (_, k) => 10 * Math.floor(k / (h * w)) + (k % (h * w)));
  return { pixels, labels: null, count, shape: [h, w, 1], numClasses: 0 };
}

const unit = (b: number) => Math.fround(b / 127.5 - 1);

/** Image i of a ramp set, shifted by (dy, dx) with edges repeated, optionally mirrored first. */
function expected(i: number, h: number, w: number, dy: number, dx: number, flip: boolean): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sy = Math.min(h - 1, Math.max(0, y + dy));
      const sx = Math.min(w - 1, Math.max(0, (flip ? w - 1 - x : x) + dx));
      out.push(unit(10 * i + w * sy + sx));
    }
  }
  return out;
}

/** Which image a sample is: the byte of its pixel values' minimum, over 10. */
function imageIndex(sample: Float32Array): number {
  return Math.floor(Math.round((Math.min(...sample) + 1) * 127.5) / 10);
}

test('flip: each sample is its image or its mirror, both occur, and the source stream is unchanged', () => {
  const set = rampSet(8, 1, 4);
  const plain = arraySource('s', set, 5);
  const src = augmentSource(arraySource('s', set, 5), { flip: true }, 5);
  let flipped = 0;
  for (let n = 0; n < 10; n++) {
    const b = src.nextBatch(8);
    const ref = plain.nextBatch(8);
    for (let k = 0; k < 8; k++) {
      const got = [...b.x.subarray(k * 4, k * 4 + 4)];
      const i = imageIndex(ref.x.subarray(k * 4, k * 4 + 4));
      // Same example as the unaugmented stream: augmentation draws from its own Rng.
      assert.equal(imageIndex(b.x.subarray(k * 4, k * 4 + 4)), i);
      const isFlip = got.every((v, j) => v === expected(i, 1, 4, 0, 0, true)[j]);
      const isSame = got.every((v, j) => v === expected(i, 1, 4, 0, 0, false)[j]);
      assert.ok(isFlip || isSame, `sample ${got} is neither image ${i} nor its mirror`);
      if (isFlip) flipped++;
    }
  }
  assert.ok(flipped > 20 && flipped < 60, `${flipped} of 80 flipped`);
});

test('crop: pad by p (edges repeated) and crop at a random offset; all offsets occur', () => {
  const set = rampSet(1, 3, 3);
  const src = augmentSource(arraySource('s', set, 1), { crop: 1 }, 2);
  const seen = new Set<string>();
  for (let n = 0; n < 100; n++) {
    const got = [...src.nextBatch(1).x];
    let match: string | null = null;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (got.every((v, j) => v === expected(0, 3, 3, dy, dx, false)[j])) match = `${dy},${dx}`;
    assert.ok(match, `sample ${got} is no shift of the image by at most 1 pixel`);
    seen.add(match);
  }
  assert.equal(seen.size, 9);
});

test('jitter: value = (v − mean)·c + mean + b with |b|, |c − 1| ≤ s, clamped to [-1, 1]', () => {
  // Mid-grey images, so that the jitter never clamps pixels 0 and 3 used below.
  const set = rampSet(4, 2, 2);
  set.pixels.forEach((v, k) => (set.pixels[k] = v + 100));
  const s = 0.3;
  const src = augmentSource(arraySource('s', set, 1), { jitter: s }, 9);
  const plain = arraySource('s', set, 1);
  const bs: number[] = [];
  for (let n = 0; n < 50; n++) {
    const got = src.nextBatch(1).x;
    const ref = plain.nextBatch(1).x;
    const mean = ref.reduce((a, v) => a + v, 0) / 4;
    // Pixels 0 and 3 differ by 3 grey levels: solve for contrast and brightness, then check the other two.
    const c = (got[3]! - got[0]!) / (ref[3]! - ref[0]!);
    const b = got[0]! - ((ref[0]! - mean) * c + mean);
    assert.ok(Math.abs(c - 1) <= s + 1e-4 && Math.abs(b) <= s + 1e-4, `contrast ${c}, brightness ${b}`);
    for (let j = 0; j < 4; j++) {
      const want = Math.min(1, Math.max(-1, (ref[j]! - mean) * c + mean + b));
      assert.ok(Math.abs(got[j]! - want) < 1e-4, `pixel ${j}: ${got[j]} vs ${want}`);
    }
    bs.push(b);
  }
  // Clamping: a white image pushed brighter stays at 1.
  const white = augmentSource(arraySource('w', { pixels: new Uint8Array(4).fill(255), labels: null, count: 1, shape: [2, 2, 1], numClasses: 0 }, 1), { jitter: 1 }, 2);
  for (let n = 0; n < 20; n++) for (const v of white.nextBatch(1).x) assert.ok(v <= 1 && v >= -1);
  assert.ok(Math.min(...bs) < -0.1 && Math.max(...bs) > 0.1, 'brightness varies both ways');
});

test('resume mid-stream: identical augmented batches after a JSON state round trip', () => {
  const set = rampSet(12, 4, 4);
  const make = (seed: number) => augmentSource(arraySource('s', set, seed), { flip: true, crop: 2, jitter: 0.2 }, seed);
  const a = make(3);
  for (let n = 0; n < 5; n++) a.nextBatch(5); // 25 samples: into the third epoch
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const want = [a.nextBatch(5), a.nextBatch(7), a.nextBatch(5)];
  const b = make(999);
  b.setState(saved);
  assert.deepEqual([b.nextBatch(5), b.nextBatch(7), b.nextBatch(5)], want);
  // Without the saved augmentation stream the same examples come out augmented differently.
  const c = make(999);
  c.setState({ ...saved, rng: [1, 2, 3, 4] });
  assert.notDeepEqual(c.nextBatch(5).x, want[0]!.x);
  assert.throws(() => b.setState(saved.inner), /s: invalid data-source state \(expected kind 'augmented'/);
  assert.throws(() => b.setState({ ...saved, rng: 'x' }), /rng must be four uint32 words/);
});

test('paired: input and target get the same flip and crop', () => {
  const images = rampSet(6, 4, 4);
  const src = augmentSource(pairedSource('p', { input: images, target: { ...images, pixels: images.pixels.slice() }, files: [] }, 1), { flip: true, crop: 1 }, 4);
  for (let n = 0; n < 5; n++) {
    const b = src.nextBatch(6);
    assert.deepEqual(b.input, b.target);
    assert.equal(b.x, b.target);
  }
});

test('nothing asked: the source itself; bad settings and non-image data are errors', () => {
  const inner = arraySource('s', rampSet(2, 2, 2), 1);
  assert.equal(augmentSource(inner, undefined, 1), inner);
  assert.equal(augmentSource(inner, { flip: false, crop: 0, jitter: 0 }, 1), inner);
  assert.throws(() => augmentSource(inner, { crop: 1.5 }, 1), /s: augment.crop must be a non-negative integer, got 1.5/);
  assert.throws(() => augmentSource(inner, { jitter: 2 }, 1), /augment.jitter must be in \[0, 1\], got 2/);
  assert.throws(() => augmentSource(toySource('ring8', 1), { flip: true }, 1), /ring8: augment applies to image data/);
});
