import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  defaultFashionMnistDir,
  FASHION_MNIST_CLASS_NAMES,
  hasIdxDataset,
  loadFashionMnist,
  loadMnist,
  mnistPackageDir,
} from './mnist.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gantry-mnist-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function classCounts(labels: Int32Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}

function minMax(x: Uint8Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

test('MNIST train: 60,000 images, known labels, class counts, pixels and mean', () => {
  const set = loadMnist('train');
  assert.equal(set.count, 60000);
  assert.deepEqual(set.shape, [28, 28, 1]);
  assert.equal(set.numClasses, 10);
  assert.ok(set.pixels instanceof Uint8Array);
  assert.equal(set.pixels.length, 60000 * 784);
  assert.deepEqual([...set.labels!.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.deepEqual(classCounts(set.labels!), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  // Row 5 of the first image (the "5"), as 8-bit values.
  const row5 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127, 0, 0, 0, 0];
  const got = [...set.pixels.subarray(5 * 28, 6 * 28)];
  assert.deepEqual(got, row5);
  assert.deepEqual(minMax(set.pixels), [0, 255]);
  let sum = 0;
  for (const v of set.pixels) sum += v;
  // Mean 8-bit pixel of the MNIST train set is 33.3184 (the familiar 0.1307 × 255).
  assert.ok(Math.abs(sum / set.pixels.length - 33.318421) < 1e-3);
});

test('MNIST test: 10,000 images, labels start 7, 2, 1, 0', () => {
  const set = loadMnist('test');
  assert.equal(set.count, 10000);
  assert.deepEqual([...set.labels!.subarray(0, 4)], [7, 2, 1, 0]);
  assert.deepEqual(classCounts(set.labels!), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.deepEqual(set.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('limit keeps the first examples; bad split or limit is an error', () => {
  const set = loadMnist('test', { limit: 3 });
  assert.equal(set.count, 3);
  assert.equal(set.pixels.length, 3 * 784);
  assert.deepEqual([...set.labels!], [7, 2, 1]);
  assert.throws(() => loadMnist('test', { limit: 0 }), /limit must be a positive integer, got 0/);
  assert.throws(() => loadMnist('val' as 'test'), /split must be 'train' or 'test', got 'val'/);
});

test('an IDX folder of gzipped files loads the same as the plain one; missing files are named', () => {
  const src = mnistPackageDir();
  for (const base of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    // Only the first 5 test images, as a valid gzipped IDX file.
    const bytes = readFileSync(join(src, base));
    const keep = base.includes('images') ? 16 + 5 * 784 : 8 + 5;
    const head = Buffer.from(bytes.subarray(0, keep));
    head.writeUInt32BE(5, 4);
    writeFileSync(join(tmp, `${base}.gz`), gzipSync(head));
  }
  const small = loadMnist('test', { dir: tmp });
  const ref = loadMnist('test', { limit: 5 });
  assert.equal(small.count, 5);
  assert.deepEqual(small.pixels, ref.pixels);
  assert.deepEqual(small.labels, ref.labels);
  assert.throws(() => loadMnist('train', { dir: tmp }), /train-images-idx3-ubyte: file not found/);
  assert.throws(() => loadMnist('test', { dir: join(tmp, 'absent') }), /absent: dataset folder not found/);
});

test('a truncated MNIST file in a folder names the file', () => {
  const dir = join(tmp, 'truncated');
  mkdirSync(dir);
  copyFileSync(join(mnistPackageDir(), 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
  const images = readFileSync(join(mnistPackageDir(), 't10k-images-idx3-ubyte'));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images.subarray(0, 100000));
  assert.throws(() => loadMnist('test', { dir }), /t10k-images-idx3-ubyte: size mismatch \(truncated\): dims 10000×28×28 need 7840000 data bytes, file has 99984/);
});

const fashionDir = defaultFashionMnistDir();
const haveFashion = hasIdxDataset(fashionDir);

test('Fashion-MNIST train and test: counts, known labels, balanced classes', { skip: haveFashion ? false : `no Fashion-MNIST in ${fashionDir} (apt-get install dataset-fashion-mnist)` }, () => {
  const train = loadFashionMnist('train');
  assert.equal(train.count, 60000);
  assert.deepEqual(train.shape, [28, 28, 1]);
  assert.deepEqual([...train.labels!.subarray(0, 10)], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.deepEqual(classCounts(train.labels!), new Array(10).fill(6000));
  assert.deepEqual(minMax(train.pixels), [0, 255]);
  assert.equal(train.classNames![9], 'Ankle boot');
  const test = loadFashionMnist('test', fashionDir, { limit: 5 });
  assert.deepEqual([...test.labels!], [9, 2, 1, 1, 6]);
  assert.deepEqual(test.classNames, FASHION_MNIST_CLASS_NAMES);
});

test('Fashion-MNIST from a missing folder says how to get it', () => {
  assert.throws(() => loadFashionMnist('train', join(tmp, 'no-such-dir')), /Fashion-MNIST folder .*no-such-dir not found: install the Debian package dataset-fashion-mnist/);
});

