import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../core/rng.ts';
import { loadMnistRaw, hasIdxDataset } from './mnist.ts';
import { DATASET_NAMES, datasetConfigSchema, datasetHasLabels, loadEvalSet, openDataSource, parseDatasetConfig } from './registry.ts';
import { byteOf, pngOf, put, solidPng } from './test_support.ts';
import { toySource } from './toy.ts';

const SUBSET = '/work/shared/data/cifar10-subset';
const tmp = mkdtempSync(join(tmpdir(), 'gantry-registry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

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
  put(join(split, 'train', 'a', '1.png'), solidPng(4, 4, 0));
  put(join(split, 'train', 'b', '1.png'), solidPng(4, 4, 255));
  put(join(split, 'test', 'a', '1.png'), solidPng(4, 4, 0));
  const src = await openDataSource({ name: 'folder', dir: split, imageSize: 2, channels: 1, labeled: true }, 1);
  assert.equal(src.size, 2);
  assert.equal(src.numClasses, 2);
  assert.deepEqual(src.shape, [2, 2, 1]);
  const test = await loadEvalSet({ name: 'folder', dir: split, imageSize: 2, channels: 1, labeled: true }, 'test');
  assert.equal(test.count, 1);

  const flat = join(tmp, 'flat');
  put(join(flat, 'x.png'), solidPng(4, 4, 9));
  const flatSrc = await openDataSource({ name: 'folder', dir: flat }, 1);
  assert.deepEqual(flatSrc.shape, [64, 64, 3]);
  assert.equal(flatSrc.numClasses, 0);
  await assert.rejects(loadEvalSet({ name: 'folder', dir: flat }, 'test'), /image folder .*flat has no test split: add train\/ and test\/ sub-folders/);
});

test('unknown dataset names and splits are rejected', async () => {
  await assert.rejects(openDataSource({ name: 'imagenet' } as never, 1), /unknown dataset 'imagenet', expected one of ring8, grid25, mnist, fashion-mnist, cifar10, stacked-mnist, folder, mnist-m, emoji, paired, paired-task, sr, inpaint, unpaired, captioned, shapes$/);
  await assert.rejects(loadEvalSet({ name: 'mnist' }, 'val' as 'test'), /split must be 'train' or 'test', got 'val'/);
});

test('schema: names come from its variants; every config today\'s run config accepted still parses the same', () => {
  assert.deepEqual(DATASET_NAMES, ['ring8', 'grid25', 'mnist', 'fashion-mnist', 'cifar10', 'stacked-mnist', 'folder', 'mnist-m', 'emoji', 'paired', 'paired-task', 'sr', 'inpaint', 'unpaired', 'captioned', 'shapes']);
  for (const name of ['ring8', 'grid25', 'mnist', 'fashion-mnist', 'cifar10', 'stacked-mnist', 'folder']) {
    assert.deepEqual(datasetConfigSchema.parse({ name }), { name, labeled: false });
    const full = { name, dir: 'd', imageSize: 32, channels: 1, labeled: true };
    assert.deepEqual(datasetConfigSchema.parse(full), full);
    assert.equal(datasetConfigSchema.safeParse({ ...full, channels: 2 }).success, false);
    assert.equal(datasetConfigSchema.safeParse({ ...full, imageSize: 2048 }).success, false);
    assert.equal(datasetConfigSchema.safeParse({ ...full, imagesize: 32 }).success, false, `${name}: a misspelt key is an error`);
  }
  assert.equal(datasetConfigSchema.safeParse({ name: 'imagenet' }).success, false);
  assert.equal(datasetConfigSchema.safeParse({ name: 'ring8', augment: { flip: true } }).success, false, 'toy data has no augment');
});

test('schema: the new configs, strict at every level', () => {
  const ok = (v: unknown) => assert.equal(datasetConfigSchema.safeParse(v).success, true, JSON.stringify(v));
  const bad = (v: unknown) => assert.equal(datasetConfigSchema.safeParse(v).success, false, JSON.stringify(v));
  ok({ name: 'folder', dir: 'd', augment: { flip: true, crop: 4, jitter: 0.2 } });
  bad({ name: 'folder', dir: 'd', augment: { flip: true, crpo: 4 } });
  bad({ name: 'folder', dir: 'd', augment: { jitter: 2 } });
  ok({ name: 'mnist', limit: 100 });
  ok({ name: 'stacked-mnist', evalCount: 500 });
  bad({ name: 'mnist', evalCount: 500 });
  ok({ name: 'paired', dir: 'facades', layout: 'ab', imageSize: 256, channels: 3 });
  ok({ name: 'paired', dirA: 'x', dirB: 'y', augment: { flip: true } });
  bad({ name: 'paired', dir: 'd', layout: 'side-by-side' });
  bad({ name: 'paired', dir: 'd', labeled: true });
  ok({ name: 'unpaired', a: { name: 'folder', dir: 'horses' }, b: { name: 'mnist', augment: { crop: 2 } } });
  bad({ name: 'unpaired', a: { name: 'folder', dir: 'horses' } });
  bad({ name: 'unpaired', a: { name: 'folder', dri: 'horses' }, b: { name: 'mnist' } });
  bad({ name: 'unpaired', a: { name: 'unpaired', a: { name: 'mnist' }, b: { name: 'mnist' } }, b: { name: 'mnist' } });
  ok({ name: 'captioned', dir: 'birds', maxTokens: 16 });
  bad({ name: 'captioned' });
  assert.deepEqual(datasetConfigSchema.parse({ name: 'unpaired', a: { name: 'mnist' }, b: { name: 'folder', dir: 'd' } }), {
    name: 'unpaired',
    a: { name: 'mnist', labeled: false },
    b: { name: 'folder', dir: 'd', labeled: false },
  });
  assert.throws(() => parseDatasetConfig({ name: 'folder', dir: 'd', augment: { flip: 'yes' } } as never), /invalid 'folder' dataset config: augment\.flip: /);
});

test('datasetHasLabels: the datasets whose batches carry labels', () => {
  for (const name of ['mnist', 'fashion-mnist', 'cifar10', 'stacked-mnist'] as const) assert.equal(datasetHasLabels({ name }), true, name);
  for (const name of ['ring8', 'grid25'] as const) assert.equal(datasetHasLabels({ name }), false, name);
  assert.equal(datasetHasLabels({ name: 'folder', dir: 'd' }), false);
  assert.equal(datasetHasLabels({ name: 'folder', dir: 'd', labeled: true }), true);
  assert.equal(datasetHasLabels({ name: 'paired', dir: 'd' }), false);
  assert.equal(datasetHasLabels({ name: 'unpaired', a: { name: 'mnist' }, b: { name: 'mnist' } }), false);
  assert.equal(datasetHasLabels({ name: 'captioned', dir: 'd' }), false);
});

test('mnist batches are exactly bytes / 127.5 − 1 in the permutation order of Rng(seed).fork(\'data\')', async () => {
  const src = await openDataSource({ name: 'mnist', limit: 100 }, 5);
  assert.deepEqual(src.fields, { x: { shape: [28, 28, 1], dtype: 'float32' }, labels: { shape: [], dtype: 'int32' } });
  const b = src.nextBatch(150);
  const raw = loadMnistRaw('train');
  const rng = new Rng(5).fork('data');
  const order = [...rng.permutation(100), ...rng.permutation(100)];
  const want = new Float32Array(150 * 784);
  for (let i = 0; i < 150; i++) for (let p = 0; p < 784; p++) want[i * 784 + p] = raw.pixels[order[i]! * 784 + p]! / 127.5 - 1;
  assert.deepEqual(b.x, want);
  assert.deepEqual([...b.labels!], order.slice(0, 150).map((j) => raw.labels[j]!));
});

test('a size other than the dataset\'s own is applied at load, rounded back to bytes', async () => {
  const small = await loadEvalSet({ name: 'mnist', limit: 2, imageSize: 14 }, 'test');
  assert.ok(small.pixels instanceof Uint8Array);
  assert.deepEqual(small.shape, [14, 14, 1]);
  const raw = loadMnistRaw('test').pixels;
  // 28 → 14 averages 2×2 blocks.
  for (const [y, x] of [[5, 5], [7, 6], [10, 3]] as const) {
    const at = (r: number, c: number) => raw[r * 28 + c]!;
    const mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
    assert.ok(Math.abs(small.pixels[y * 14 + x]! - mean) <= 0.5 + 1e-4, `(${y}, ${x}): ${small.pixels[y * 14 + x]} vs ${mean}`);
  }
});

test('folder with augment through openDataSource: resumes to identical batches', async () => {
  const dir = join(tmp, 'aug');
  for (let k = 0; k < 6; k++) put(join(dir, `${k}.png`), pngOf(4, 4, (x, y) => [10 * k + x, 5 * y, 200, 255]));
  const cfg = { name: 'folder', dir, imageSize: 4, augment: { flip: true, crop: 1, jitter: 0.1 } } as const;
  const src = await openDataSource(cfg, 6);
  for (let n = 0; n < 4; n++) src.nextBatch(4);
  const saved = JSON.parse(JSON.stringify(src.getState()));
  assert.equal(saved.kind, 'augmented');
  const want = [src.nextBatch(4), src.nextBatch(3)];
  const again = await openDataSource(cfg, 6);
  again.setState(saved);
  assert.deepEqual([again.nextBatch(4), again.nextBatch(3)], want);
  const plain = await openDataSource({ ...cfg, augment: undefined }, 6);
  assert.equal((plain.getState() as { kind: string }).kind, 'array');
});

test('paired through openDataSource: layout defaults, eval set is the targets', async () => {
  const ab = join(tmp, 'paired-ab');
  for (const split of ['train', 'test']) put(join(ab, split, '1.png'), pngOf(4, 2, (x) => (x < 2 ? [10, 10, 10, 255] : [240, 240, 240, 255])));
  const src = await openDataSource({ name: 'paired', dir: ab, imageSize: 2, channels: 1 }, 1);
  assert.deepEqual(Object.keys(src.fields), ['x', 'input', 'target']);
  const b = src.nextBatch(1);
  assert.deepEqual([...b.input!].map(byteOf), [10, 10, 10, 10]);
  assert.deepEqual([...b.target!].map(byteOf), [240, 240, 240, 240]);
  assert.deepEqual([...(await loadEvalSet({ name: 'paired', dir: ab, imageSize: 2, channels: 1 }, 'test')).pixels], [240, 240, 240, 240]);
  const dirA = join(tmp, 'pA');
  const dirB = join(tmp, 'pB');
  put(join(dirA, 'k.png'), pngOf(2, 2, () => [1, 1, 1, 255]));
  put(join(dirB, 'k.png'), pngOf(2, 2, () => [2, 2, 2, 255]));
  const f = (await openDataSource({ name: 'paired', dirA, dirB, imageSize: 2, channels: 1 }, 1)).nextBatch(1);
  assert.deepEqual([byteOf(f.input![0]!), byteOf(f.target![0]!)], [1, 2]);
  await assert.rejects(openDataSource({ name: 'paired', imageSize: 2 }, 1), /layout 'ab' needs 'dir'/);
});

test('captioned through openDataSource: vocabulary from the training captions only', async () => {
  const dir = join(tmp, 'cap');
  for (const split of ['train', 'test']) {
    put(join(dir, split, 'a.png'), pngOf(2, 2, () => [9, 9, 9, 255]));
    put(join(dir, split, 'captions.jsonl'), `{"file": "a.png", "text": "${split === 'train' ? 'a small bird' : 'a huge whale'}"}\n`);
  }
  const src = await openDataSource({ name: 'captioned', dir, imageSize: 2, maxTokens: 4 }, 1);
  assert.deepEqual(src.tokenizer!.vocab, ['<pad>', '<unk>', 'a', 'bird', 'small']);
  assert.equal(src.tokenizer!.decode(src.tokenizer!.encode('a huge whale')), 'a <unk> <unk>');
  const b = src.nextBatch(2);
  assert.deepEqual([...b.tokens!], [2, 4, 3, 0, 2, 4, 3, 0]);
  assert.equal(byteOf(b.x[0]!), 9);
  assert.equal((await loadEvalSet({ name: 'captioned', dir, imageSize: 2 }, 'test')).count, 1);
});
