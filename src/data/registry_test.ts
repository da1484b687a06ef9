import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { hasIdxDataset } from './mnist.ts';
import { loadEvalSet, openDataSource } from './registry.ts';
import { toySource } from './toy.ts';

const SUBSET = '/work/shared/data/cifar10-subset';
const tmp = mkdtempSync(join(tmpdir(), 'gantry-registry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function solidPng(grey: number): Buffer {
  const png = new PNG({ width: 4, height: 4 });
  for (let p = 0; p < 16; p++) png.data.set([grey, grey, grey, 255], p * 4);
  return PNG.sync.write(png);
}

function put(path: string, bytes: Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

test('toy datasets open as their toySource stream', async () => {
  const src = await openDataSource({ name: 'ring8' }, 5);
  assert.deepEqual(src.nextBatch(4).x, toySource('ring8', 5).nextBatch(4).x);
  assert.equal((await openDataSource({ name: 'grid25' }, 5)).name, 'grid25');
  await assert.rejects(loadEvalSet({ name: 'ring8' }, 'test'), /'ring8' is a generated 2-D mixture with no stored split: use sampleToy/);
});

test('mnist: train stream, eval split, resize and channel options', async () => {
  const src = await openDataSource({ name: 'mnist', limit: 100 }, 1);
  assert.equal(src.name, 'mnist');
  assert.equal(src.size, 100);
  assert.deepEqual(src.shape, [28, 28, 1]);
  assert.equal(src.numClasses, 10);
  const b = src.nextBatch(8);
  assert.equal(b.x.length, 8 * 784);
  assert.equal(b.labels!.length, 8);
  const big = await openDataSource({ name: 'mnist', limit: 20, imageSize: 32, channels: 3 }, 1);
  assert.deepEqual(big.shape, [32, 32, 3]);
  assert.equal(big.nextBatch(2).x.length, 2 * 32 * 32 * 3);
  const test = await loadEvalSet({ name: 'mnist', limit: 10 }, 'test');
  assert.deepEqual([...test.labels!.subarray(0, 3)], [7, 2, 1]);
});

test('stacked-mnist: stream with state round trip through a resize, fixed eval sets', async () => {
  const src = await openDataSource({ name: 'stacked-mnist', imageSize: 32 }, 3);
  assert.deepEqual(src.shape, [32, 32, 3]);
  assert.equal(src.numClasses, 1000);
  src.nextBatch(4);
  const saved = JSON.parse(JSON.stringify(src.getState()));
  const want = src.nextBatch(4);
  const again = await openDataSource({ name: 'stacked-mnist', imageSize: 32 }, 77);
  again.setState(saved);
  assert.deepEqual(again.nextBatch(4), want);
  const evalA = await loadEvalSet({ name: 'stacked-mnist', evalCount: 50 }, 'test');
  const evalB = await loadEvalSet({ name: 'stacked-mnist', evalCount: 50 }, 'test');
  assert.equal(evalA.count, 50);
  assert.deepEqual(evalA.pixels, evalB.pixels);
  assert.notDeepEqual((await loadEvalSet({ name: 'stacked-mnist', evalCount: 50 }, 'train')).pixels, evalA.pixels);
});

test('cifar10 from the subset folder; a missing dir is a clear error', { skip: existsSync(SUBSET) ? false : `${SUBSET} absent` }, async () => {
  const src = await openDataSource({ name: 'cifar10', dir: SUBSET, limit: 30 }, 2);
  assert.deepEqual(src.shape, [32, 32, 3]);
  assert.equal(src.size, 30);
  const test = await loadEvalSet({ name: 'cifar10', dir: SUBSET, limit: 4, channels: 1 }, 'test');
  assert.deepEqual(test.shape, [32, 32, 1]);
  assert.deepEqual([...test.labels!], [3, 8, 8, 0]);
});

test('cifar10 and folder need a dir', async () => {
  await assert.rejects(openDataSource({ name: 'cifar10' }, 1), /dataset 'cifar10' needs 'dir'/);
  await assert.rejects(loadEvalSet({ name: 'folder' }, 'train'), /dataset 'folder' needs 'dir'/);
});

test('fashion-mnist opens from its default folder', { skip: hasIdxDataset() ? false : 'Fashion-MNIST not installed' }, async () => {
  const src = await openDataSource({ name: 'fashion-mnist', limit: 10 }, 1);
  assert.equal(src.name, 'fashion-mnist');
  assert.equal(src.size, 10);
  assert.deepEqual([...(await loadEvalSet({ name: 'fashion-mnist', limit: 2 }, 'test')).labels!], [9, 2]);
});

test('folder: with train/ and test/ sub-folders, and without', async () => {
  const split = join(tmp, 'split');
  put(join(split, 'train', 'a', '1.png'), solidPng(0));
  put(join(split, 'train', 'b', '1.png'), solidPng(255));
  put(join(split, 'test', 'a', '1.png'), solidPng(0));
  const src = await openDataSource({ name: 'folder', dir: split, imageSize: 2, channels: 1, labeled: true }, 1);
  assert.equal(src.size, 2);
  assert.equal(src.numClasses, 2);
  assert.deepEqual(src.shape, [2, 2, 1]);
  const test = await loadEvalSet({ name: 'folder', dir: split, imageSize: 2, channels: 1, labeled: true }, 'test');
  assert.equal(test.count, 1);

  const flat = join(tmp, 'flat');
  put(join(flat, 'x.png'), solidPng(9));
  const flatSrc = await openDataSource({ name: 'folder', dir: flat }, 1);
  assert.deepEqual(flatSrc.shape, [64, 64, 3]);
  assert.equal(flatSrc.numClasses, 0);
  await assert.rejects(loadEvalSet({ name: 'folder', dir: flat }, 'test'), /image folder .*flat has no test split: add train\/ and test\/ sub-folders/);
});

test('unknown dataset names and splits are rejected', async () => {
  await assert.rejects(openDataSource({ name: 'imagenet' } as never, 1), /unknown dataset 'imagenet', expected one of ring8, grid25, mnist, fashion-mnist, cifar10, stacked-mnist, folder, paired, unpaired, captioned$/);
  await assert.rejects(loadEvalSet({ name: 'mnist' }, 'val' as 'test'), /split must be 'train' or 'test', got 'val'/);
});
