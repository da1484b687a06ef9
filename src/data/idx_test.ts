import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { findIdxFile, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, readIdx, readIdxImages, readIdxLabels, readIdxPair } from './idx.ts';

const dir = mkdtempSync(join(tmpdir(), 'gantry-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function idxBytes(magic: number, dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function write(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// Two 2×3 images with pixels 0..11, labels 7 and 3.
const imageData = Array.from({ length: 12 }, (_, i) => i * 20);
const images = idxBytes(IDX_IMAGES_MAGIC, [2, 2, 3], imageData);
const labels = idxBytes(IDX_LABELS_MAGIC, [2], [7, 3]);

test('reads big-endian dims and data, plain and gzipped alike', () => {
  for (const [name, bytes] of [['plain-images', images], ['gz-images.gz', gzipSync(images)]] as const) {
    const img = readIdxImages(write(name, bytes));
    assert.equal(img.count, 2);
    assert.equal(img.rows, 2);
    assert.equal(img.cols, 3);
    assert.deepEqual([...img.pixels], imageData);
  }
  // gzip is detected by content, not by the file name.
  assert.deepEqual([...readIdxLabels(write('labels-no-ext', gzipSync(labels)))], [7, 3]);
  const big = readIdx(write('big', idxBytes(IDX_IMAGES_MAGIC, [1, 256, 1], new Array(256).fill(1))), IDX_IMAGES_MAGIC);
  assert.deepEqual(big.dims, [1, 256, 1]);
});

test('bad magic names the file and both numbers', () => {
  const path = write('labels-as-images', labels);
  assert.throws(() => readIdxImages(path), (e: Error) => e.message.startsWith(path) && /bad magic number 0x00000801, expected 0x00000803/.test(e.message));
  const garbage = write('garbage', Buffer.from('hello world, not idx'));
  assert.throws(() => readIdxLabels(garbage), /garbage: bad magic number 0x68656c6c, expected 0x00000801/);
});

test('truncated data, truncated header and trailing bytes are size mismatches', () => {
  const cut = write('cut-images', images.subarray(0, images.length - 5));
  assert.throws(() => readIdxImages(cut), /cut-images: size mismatch \(truncated\): dims 2×2×3 need 12 data bytes, file has 7/);
  const cutGz = write('cut-images.gz', gzipSync(images.subarray(0, 20)));
  assert.throws(() => readIdxImages(cutGz), /cut-images\.gz: size mismatch \(truncated\)/);
  const header = write('header-only', images.subarray(0, 10));
  assert.throws(() => readIdxImages(header), /header-only: truncated IDX header, 10 bytes, expected at least 16/);
  const tiny = write('tiny', Buffer.from([0, 0]));
  assert.throws(() => readIdxImages(tiny), /tiny: truncated IDX file/);
  const long = write('long-labels', Buffer.concat([labels, Buffer.from([1])]));
  assert.throws(() => readIdxLabels(long), /long-labels: size mismatch \(has trailing bytes\)/);
});

test('corrupt gzip names the file', () => {
  const gz = gzipSync(images);
  gz[gz.length - 6] ^= 0xff; // break the CRC trailer
  const path = write('corrupt.gz', gz);
  assert.throws(() => readIdxImages(path), /corrupt\.gz: corrupt gzip data/);
});

test('image/label pairs: count mismatch and label range', () => {
  const img = write('pair-images', images);
  const ok = readIdxPair(img, write('pair-labels', labels), 10);
  assert.deepEqual([...ok.labels], [7, 3]);
  const three = write('three-labels', idxBytes(IDX_LABELS_MAGIC, [3], [1, 2, 3]));
  assert.throws(() => readIdxPair(img, three, 10), /image\/label count mismatch: .*pair-images has 2 images, .*three-labels has 3 labels/);
  const big = write('big-labels', idxBytes(IDX_LABELS_MAGIC, [2], [1, 12]));
  assert.throws(() => readIdxPair(img, big, 10), /big-labels: label 12 at index 1 is outside 0\.\.9/);
});

test('missing files are named', () => {
  assert.throws(() => readIdxImages(join(dir, 'nope')), /nope: file not found/);
  write('only-gz-images.gz', gzipSync(images));
  assert.equal(findIdxFile(dir, 'only-gz-images'), join(dir, 'only-gz-images.gz'));
  write('both', images);
  write('both.gz', gzipSync(images));
  assert.equal(findIdxFile(dir, 'both'), join(dir, 'both'));
  assert.throws(() => findIdxFile(dir, 'absent-ubyte'), /absent-ubyte: file not found \(looked for absent-ubyte and absent-ubyte\.gz/);
});
