/**
 * Super-resolution data: LR inputs are the bicubic-shrunk bytes of their HR targets (whole images of a
 * stored set, random crops of photos), the photo stream is seeded and resumes exactly, the test split
 * is fixed crops of held-out photos, and configuration mistakes get errors that name them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resizeBicubicBytes } from './bicubic.ts';
import { dataFlagOverrides, loadPairedEvalSet, openDataSource, parseDatasetConfig } from './registry.ts';
import { downscalePairs, loadPhotos, photoCropSource, photoFiles } from './super_resolution.ts';
import { byteOf, pngOf, put, tempDir } from './test_support.ts';
import type { ImageSet } from './dataset.ts';

const tmp = tempDir('gantry-sr-');
after(tmp.remove);
// Five 40×30 "photos" with texture, so that every crop position is distinguishable.
const photos = join(tmp.dir, 'photos');
for (let k = 0; k < 5; k++) put(join(photos, `p${k}.png`), pngOf(40, 30, (x, y) => [(x * 7 + k * 40) % 256, (y * 11 + x) % 256, (x * y + k) % 256, 255]));

test('whole-image pairs: the LR input is the rounded bicubic shrink of each HR image', () => {
  const set: ImageSet = { pixels: Uint8Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => (i * 29) % 256), labels: null, count: 2, shape: [8, 8, 3], numClasses: 0 };
  const pairs = downscalePairs(set, 4);
  assert.deepEqual(pairs.input.shape, [2, 2, 3]);
  assert.deepEqual(Array.from(pairs.input.pixels.subarray(12, 24)), Array.from(resizeBicubicBytes(set.pixels.subarray(192, 384), 8, 8, 3, 2, 2)));
  assert.throws(() => downscalePairs({ ...set, shape: [8, 8, 3] }, 3), /not a multiple of 3/);
  assert.throws(() => downscalePairs(set, 5), /scale must be one of 2, 3, 4, 8/);
});

test('photo crops: LR = bicubic(HR crop), crops lie inside the photos, the stream is seeded and resumes exactly', async () => {
  const cfg = { name: 'sr', scale: 2, dir: photos, crop: 16, holdout: 2 } as const;
  const src = await openDataSource(cfg, 7);
  assert.deepEqual(src.fields.input!.shape, [8, 8, 3]);
  assert.deepEqual(src.fields.target!.shape, [16, 16, 3]);
  const b = src.nextBatch(3);
  const hr = Uint8Array.from(b.target!.subarray(0, 768), byteOf);
  assert.deepEqual(Array.from(b.input!.subarray(0, 192), byteOf), Array.from(resizeBicubicBytes(hr, 16, 16, 3, 8, 8)));
  // The crop's first row is a run of 16 pixels of one of the three training photos.
  const train = loadPhotos(photoFiles(photos, 'train', { holdout: 2 }), 16);
  assert.equal(train.length, 3);
  const row = Array.from(hr.subarray(0, 48)).join(',');
  assert.ok(train.some((p) => Array.from({ length: 30 * 40 }, (_, q) => q).some((q) => Array.from(p.pixels.subarray(q * 3, q * 3 + 48)).join(',') === row)), 'crop not found in any training photo');
  const state = src.getState();
  const next = src.nextBatch(4);
  const again = await openDataSource(cfg, 7);
  again.setState(state);
  assert.deepEqual(Array.from(again.nextBatch(4).target!), Array.from(next.target!));
  const other = await openDataSource(cfg, 8);
  assert.notDeepEqual(Array.from(other.nextBatch(3).target!), Array.from(b.target!));
  assert.throws(() => again.setState({ kind: 'photo-crops', photos: 9, rng: [1, 2, 3, 4] }), /it is for 9 photos/);
});

test('photo test split: fixed crops centred in each quarter of the held-out photos, the same every time', async () => {
  const cfg = { name: 'sr', scale: 2, dir: photos, evalCrop: 12, holdout: 2 } as const;
  const a = await loadPairedEvalSet(cfg, 'test');
  const b = await loadPairedEvalSet(cfg, 'test');
  assert.equal(a.target.count, 8, 'two held-out photos × four quarters');
  assert.deepEqual(a.target.shape, [12, 12, 3]);
  assert.deepEqual(a.input.shape, [6, 6, 3]);
  assert.deepEqual(a.target.pixels, b.target.pixels);
  assert.match(a.files[0]!, /p3\.png#4,2$/, 'first quarter of p3: centre (10, 8) → crop at (4, 2)');
});

test('SR data errors name the problem; --data-dir and --scale go to the right fields', async () => {
  assert.throws(() => photoFiles(photos, 'test'), /no test split: give data\.holdout N/);
  assert.throws(() => photoFiles(photos, 'train', { holdout: 5 }), /leaves no training photos/);
  assert.throws(() => loadPhotos(photoFiles(photos, 'train'), 64), /smaller than the 64-px crops/);
  assert.throws(() => photoCropSource('x', loadPhotos(photoFiles(photos, 'train'), 10), 10, 4, 1), /crop 10 is not a multiple of the scale 4/);
  await assert.rejects(openDataSource({ name: 'sr', scale: 2 }, 1), /needs 'from' .* or 'dir', a folder of photos/);
  assert.throws(() => parseDatasetConfig({ name: 'sr', scale: 5 as never, dir: photos }), /scale/);
  assert.deepEqual(dataFlagOverrides({ name: 'sr', from: { name: 'cifar10' } } as never, { dataDir: '/c', scale: 2 }), { from: { dir: '/c' }, scale: 2 });
  assert.deepEqual(dataFlagOverrides({ name: 'sr' }, { dataDir: '/p' }), { dir: '/p' });
  assert.throws(() => dataFlagOverrides({ name: 'mnist' }, { scale: 2 }), /--scale: dataset 'mnist' is not super-resolution data/);
  assert.throws(() => dataFlagOverrides({ name: 'sr' }, { imageSize: 64 }), /keeps the photos' own size/);
});
