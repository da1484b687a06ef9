import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { decodeImageFile, listImageFiles, loadImageFolder } from './image_folder.ts';
import { pngOf, put } from './test_support.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gantry-folder-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function jpegOf(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return jpeg.encode({ width, height, data }, 100).data;
}

test('a solid PNG resized and in 3 or 1 channels', () => {
  const dir = join(tmp, 'solid');
  put(join(dir, 'red.png'), pngOf(5, 3, () => [255, 0, 51, 255]));
  const rgb = loadImageFolder(dir, { imageSize: 4, channels: 3 });
  assert.equal(rgb.count, 1);
  assert.deepEqual(rgb.shape, [4, 4, 3]);
  assert.equal(rgb.labels, null);
  assert.equal(rgb.numClasses, 0);
  assert.ok(rgb.pixels instanceof Uint8Array);
  assert.deepEqual([...rgb.pixels], new Array(16).fill([255, 0, 51]).flat());
  // Luma 0.299·255 + 0.114·51 = 82.059, stored rounded to a byte.
  const grey = loadImageFolder(dir, { imageSize: 2, channels: 1 });
  assert.deepEqual([...grey.pixels], [82, 82, 82, 82]);
});

test('centre crop then area downscale: a 6×4 PNG to 2×2', () => {
  const dir = join(tmp, 'crop');
  // Columns 0 and 5 are cropped away (white); the centre 4×4 has 2×2 blocks 0 / 100 / 200 / 60.
  const block = (x: number, y: number) => (x < 3 ? (y < 2 ? 0 : 200) : y < 2 ? 100 : 60);
  put(join(dir, 'a.png'), pngOf(6, 4, (x, y) => (x === 0 || x === 5 ? [255, 255, 255, 255] : [block(x, y), block(x, y), block(x, y), 255])));
  const set = loadImageFolder(dir, { imageSize: 2, channels: 1 });
  assert.deepEqual([...set.pixels], [0, 100, 200, 60]);
});

test('transparent pixels composite over black', () => {
  const dir = join(tmp, 'alpha');
  put(join(dir, 'a.png'), pngOf(2, 2, (x) => (x === 0 ? [255, 255, 255, 0] : [255, 255, 255, 255])));
  const set = loadImageFolder(dir, { imageSize: 2, channels: 1 });
  assert.deepEqual([...set.pixels], [0, 255, 0, 255]);
});

test('JPEG decodes (quality 100 grey within 2 levels)', () => {
  const dir = join(tmp, 'jpeg');
  put(join(dir, 'g.JPG'), jpegOf(16, 16, [128, 128, 128]));
  const set = loadImageFolder(dir, { imageSize: 8, channels: 3 });
  for (const v of set.pixels) assert.ok(Math.abs(v - 128) <= 2, `value ${v}`);
  assert.deepEqual(decodeImageFile(join(dir, 'g.JPG')).width, 16);
});

test('unlabeled listing: recursive, sorted, hidden and non-image files skipped; limit', () => {
  const dir = join(tmp, 'listing');
  put(join(dir, 'b.png'), pngOf(2, 2, () => [10, 10, 10, 255]));
  put(join(dir, 'a.png'), pngOf(2, 2, () => [20, 20, 20, 255]));
  put(join(dir, 'sub', 'c.jpeg'), jpegOf(8, 8, [200, 200, 200]));
  put(join(dir, '.hidden.png'), 'not an image');
  put(join(dir, 'notes.txt'), 'not an image');
  assert.deepEqual(listImageFiles(dir).map((p) => p.slice(dir.length + 1)), ['a.png', 'b.png', join('sub', 'c.jpeg')]);
  const set = loadImageFolder(dir, { imageSize: 2, channels: 1 });
  assert.equal(set.count, 3);
  assert.equal(set.pixels[0], 20);
  assert.equal(set.pixels[4], 10);
  assert.equal(loadImageFolder(dir, { imageSize: 2, channels: 1, limit: 2 }).count, 2);
});

test('labeled: one sub-folder per class, names sorted, labels follow', () => {
  const dir = join(tmp, 'labeled');
  put(join(dir, 'zebra', '1.png'), pngOf(2, 2, () => [0, 0, 0, 255]));
  put(join(dir, 'cat', '1.png'), pngOf(2, 2, () => [255, 255, 255, 255]));
  put(join(dir, 'cat', 'nested', '2.png'), pngOf(2, 2, () => [255, 255, 255, 255]));
  put(join(dir, 'Dog', '1.png'), pngOf(2, 2, () => [127, 127, 127, 255]));
  put(join(dir, '.git', 'x.png'), 'ignored');
  const set = loadImageFolder(dir, { imageSize: 2, channels: 1, labeled: true });
  assert.deepEqual(set.classNames, ['Dog', 'cat', 'zebra']);
  assert.equal(set.numClasses, 3);
  assert.deepEqual([...set.labels!], [0, 1, 1, 2]);
  assert.equal(set.pixels[4], 255);
  assert.equal(set.pixels[12], 0);
});

test('errors: missing or empty folder, undecodable file, labeled without classes, empty class, bad options', () => {
  assert.throws(() => loadImageFolder(join(tmp, 'absent'), { imageSize: 8, channels: 3 }), /image folder .*absent not found/);
  const empty = join(tmp, 'empty');
  put(join(empty, 'readme.txt'), 'no images');
  assert.throws(() => loadImageFolder(empty, { imageSize: 8, channels: 3 }), /image folder .*empty is empty: no PNG\/JPEG images/);
  assert.throws(() => loadImageFolder(empty, { imageSize: 8, channels: 3, labeled: true }), /labeled mode needs one sub-folder per class, found none/);
  put(join(empty, 'cls', 'x.txt'), 'x');
  assert.throws(() => loadImageFolder(empty, { imageSize: 8, channels: 3, labeled: true }), /class folder 'cls' has no PNG\/JPEG images/);

  const bad = join(tmp, 'bad');
  put(join(bad, 'good.png'), pngOf(2, 2, () => [0, 0, 0, 255]));
  put(join(bad, 'fake.png'), 'hello');
  assert.throws(() => loadImageFolder(bad, { imageSize: 8, channels: 3 }), /fake\.png: cannot decode image: not a PNG or JPEG file/);
  const truncated = pngOf(16, 16, () => [1, 2, 3, 255]).subarray(0, 60);
  put(join(bad, 'fake.png'), truncated);
  assert.throws(() => loadImageFolder(bad, { imageSize: 8, channels: 3 }), /fake\.png: cannot decode PNG image/);
  put(join(bad, 'fake.png'), jpegOf(16, 16, [1, 2, 3]).subarray(0, 300));
  assert.throws(() => loadImageFolder(bad, { imageSize: 8, channels: 3 }), /fake\.png: cannot decode JPEG image/);

  assert.throws(() => loadImageFolder(bad, { imageSize: 8, channels: 2 }), /channels must be 1 or 3, got 2/);
  assert.throws(() => loadImageFolder(bad, { imageSize: 0, channels: 3 }), /imageSize must be a positive integer, got 0/);
});
