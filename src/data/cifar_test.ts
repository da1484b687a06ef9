import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { CIFAR10_CLASS_NAMES, detectCifarLayout, loadCifar10 } from './cifar.ts';

const SUBSET = '/work/shared/data/cifar10-subset';
const haveSubset = existsSync(join(SUBSET, 'labels.json'));
const tmp = mkdtempSync(join(tmpdir(), 'gantry-cifar-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Synthetic image i: byte at (y, x, ch) is a distinct function of all four, so any layout slip shows. */
function pixel(i: number, y: number, x: number, ch: number): number {
  return (i * 37 + y * 3 + x * 5 + ch * 101) % 256;
}
const labelOf = (i: number) => (i * 3) % 10;

function expectedSet(first: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 3072);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let ch = 0; ch < 3; ch++) out[n * 3072 + (y * 32 + x) * 3 + ch] = pixel(first + n, y, x, ch);
      }
    }
  }
  return out;
}

function binaryBatch(first: number, count: number): Buffer {
  const buf = Buffer.alloc(count * 3073);
  for (let n = 0; n < count; n++) {
    const rec = n * 3073;
    buf[rec] = labelOf(first + n);
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) buf[rec + 1 + ch * 1024 + y * 32 + x] = pixel(first + n, y, x, ch);
    }
  }
  return buf;
}

function pngBatch(first: number, count: number, width = 1024): Buffer {
  const png = new PNG({ width, height: count });
  for (let n = 0; n < count; n++) {
    for (let p = 0; p < width; p++) {
      const o = (n * width + p) * 4;
      for (let ch = 0; ch < 3; ch++) png.data[o + ch] = pixel(first + n, Math.floor(p / 32), p % 32, ch);
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Official binary layout: 12 train images over 5 batches, 4 test images (ids 100+). */
function makeBinaryDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const sizes = [3, 3, 2, 2, 2];
  let first = 0;
  sizes.forEach((n, b) => {
    writeFileSync(join(dir, `data_batch_${b + 1}.bin`), binaryBatch(first, n));
    first += n;
  });
  writeFileSync(join(dir, 'test_batch.bin'), binaryBatch(100, 4));
}

function makePngDir(dir: string, labels?: { train: number[]; test: number[] }): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'a.png'), pngBatch(0, 6));
  writeFileSync(join(dir, 'b.png'), pngBatch(6, 6));
  writeFileSync(join(dir, 't.png'), pngBatch(100, 4));
  const meta = {
    classes: CIFAR10_CLASS_NAMES,
    train: { files: ['a.png', 'b.png'], labels: labels?.train ?? Array.from({ length: 12 }, (_, i) => labelOf(i)) },
    test: { files: ['t.png'], labels: labels?.test ?? Array.from({ length: 4 }, (_, i) => labelOf(100 + i)) },
  };
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(meta));
}

test('CIFAR-10 subset (PNG batches): counts, known labels and pixels, range', { skip: haveSubset ? false : `${SUBSET} absent` }, () => {
  const train = loadCifar10('train', SUBSET);
  assert.equal(train.count, 4000);
  assert.deepEqual(train.shape, [32, 32, 3]);
  assert.equal(train.numClasses, 10);
  const names = (ls: Int32Array) => [...ls.subarray(0, 4)].map((l) => train.classNames![l]);
  assert.deepEqual(names(train.labels!), ['frog', 'truck', 'truck', 'deer']);
  // Official data_batch_1 image 0: red plane starts 59, 43, 50; pixel (0, 0) is RGB (59, 62, 63).
  const bytes = (i: number) => train.pixels[i]!;
  assert.deepEqual([0, 1, 2].map(bytes), [59, 62, 63]);
  assert.deepEqual([0, 3, 6].map(bytes), [59, 43, 50]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of train.pixels) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.deepEqual([lo, hi], [0, 255]);
  const test = loadCifar10('test', SUBSET, { limit: 4 });
  assert.equal(test.count, 4);
  assert.deepEqual(names(test.labels!), ['cat', 'ship', 'ship', 'airplane']);
});

test('binary batches: CHW records become NHWC in [-1, 1], batches concatenated in order', () => {
  const dir = join(tmp, 'bin');
  makeBinaryDir(dir);
  assert.deepEqual(detectCifarLayout(dir), { kind: 'binary', dir });
  const train = loadCifar10('train', dir);
  assert.equal(train.count, 12);
  assert.deepEqual(train.pixels, expectedSet(0, 12));
  assert.deepEqual([...train.labels!], Array.from({ length: 12 }, (_, i) => labelOf(i)));
  assert.deepEqual(train.classNames, CIFAR10_CLASS_NAMES);
  const test = loadCifar10('test', dir);
  assert.deepEqual(test.pixels, expectedSet(100, 4));
  const limited = loadCifar10('train', dir, { limit: 4 });
  assert.equal(limited.count, 4);
  assert.deepEqual(limited.pixels, expectedSet(0, 4));
});

test('binary batches inside cifar-10-batches-bin/ with batches.meta.txt class names', () => {
  const root = join(tmp, 'official');
  const inner = join(root, 'cifar-10-batches-bin');
  makeBinaryDir(inner);
  const names = CIFAR10_CLASS_NAMES.map((n) => n.toUpperCase());
  writeFileSync(join(inner, 'batches.meta.txt'), names.join('\n') + '\n\n');
  const test = loadCifar10('test', root);
  assert.deepEqual(test.classNames, names);
  assert.deepEqual(test.pixels, expectedSet(100, 4));
});

test('PNG-batch layout decodes row i as image i and agrees with the binary layout', () => {
  const dir = join(tmp, 'png');
  makePngDir(dir);
  assert.equal(detectCifarLayout(dir).kind, 'png');
  const train = loadCifar10('train', dir);
  assert.equal(train.count, 12);
  assert.deepEqual(train.pixels, expectedSet(0, 12));
  assert.deepEqual(train.pixels, loadCifar10('train', join(tmp, 'bin')).pixels);
  assert.deepEqual(loadCifar10('test', dir).pixels, expectedSet(100, 4));
  assert.equal(loadCifar10('train', dir, { limit: 7 }).count, 7);
});

test('binary errors: truncated file, bad label, missing batch, no data', () => {
  const dir = join(tmp, 'bad-bin');
  makeBinaryDir(dir);
  const full = readFileSync(join(dir, 'data_batch_2.bin'));
  writeFileSync(join(dir, 'data_batch_2.bin'), full.subarray(0, full.length - 100));
  assert.throws(() => loadCifar10('train', dir), /data_batch_2\.bin: size mismatch \(truncated\?\): 9119 bytes is not a whole number of 3073-byte records/);
  writeFileSync(join(dir, 'data_batch_2.bin'), full);
  const withBadLabel = Buffer.from(full);
  withBadLabel[3073] = 10;
  writeFileSync(join(dir, 'data_batch_2.bin'), withBadLabel);
  assert.throws(() => loadCifar10('train', dir), /data_batch_2\.bin: record 1 has label 10, expected 0\.\.9/);
  rmSync(join(dir, 'data_batch_3.bin'));
  assert.throws(() => loadCifar10('train', dir), /data_batch_3\.bin: file not found \(CIFAR-10 train split needs data_batch_1\.bin/);
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  assert.throws(() => loadCifar10('train', empty), /empty: no CIFAR-10 data found/);
  assert.throws(() => loadCifar10('train', join(tmp, 'absent')), /CIFAR-10 folder .*absent not found/);
});

test('PNG-batch errors: label count mismatch, wrong width, undecodable PNG, bad labels.json', () => {
  const few = join(tmp, 'few-labels');
  makePngDir(few, { train: [1, 2, 3], test: [0, 0, 0, 0] });
  assert.throws(() => loadCifar10('train', few), /image\/label count mismatch: .*labels\.json lists 3 train labels, the PNG files a\.png, b\.png hold 12 images/);
  const many = join(tmp, 'many-labels');
  makePngDir(many, { train: new Array(13).fill(0), test: [0, 0, 0, 0] });
  assert.throws(() => loadCifar10('train', many), /lists 13 train labels, the PNG files a\.png, b\.png hold 12 images/);

  const narrow = join(tmp, 'narrow');
  makePngDir(narrow);
  writeFileSync(join(narrow, 't.png'), pngBatch(0, 4, 1000));
  assert.throws(() => loadCifar10('test', narrow), /t\.png: PNG is 1000 pixels wide, expected 1024/);

  const corrupt = join(tmp, 'corrupt');
  makePngDir(corrupt);
  writeFileSync(join(corrupt, 'b.png'), readFileSync(join(corrupt, 'b.png')).subarray(0, 200));
  assert.throws(() => loadCifar10('train', corrupt), /b\.png: cannot decode PNG/);

  const badJson = join(tmp, 'bad-json');
  makePngDir(badJson);
  writeFileSync(join(badJson, 'labels.json'), '{"classes": [');
  assert.throws(() => loadCifar10('train', badJson), /labels\.json: not valid JSON/);
  writeFileSync(join(badJson, 'labels.json'), JSON.stringify({ classes: ['a', 'b'], train: { files: ['a.png'], labels: [0, 2] }, test: { files: [], labels: [] } }));
  assert.throws(() => loadCifar10('train', badJson), /labels\.json: train\.labels\[1\] = 2 is not a class index 0\.\.1/);
  assert.throws(() => loadCifar10('valid' as 'train', badJson), /split must be 'train' or 'test'/);
});
