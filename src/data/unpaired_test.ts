import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDataSource, loadEvalSet } from './registry.ts';
import { domainSeeds } from './unpaired.ts';
import { byteOf, put, solidPng, tempDir } from './test_support.ts';

const tmp = tempDir('gantry-unpaired-');
after(tmp.remove);

/** A folder of n solid 2×2 images, grey base + k for image k. */
function greyFolder(name: string, n: number, base: number): string {
  const dir = join(tmp.dir, name);
  for (let k = 0; k < n; k++) put(join(dir, `${String(k).padStart(2, '0')}.png`), solidPng(2, 2, base + k));
  return dir;
}

const ids = (x: Float32Array, per: number, base: number) => Array.from({ length: x.length / per }, (_, i) => byteOf(x[i * per]!) - base);

test('two folders: a and b drawn with their own permutations, x is a', async () => {
  const dir = greyFolder('same', 10, 0);
  const cfg = { name: 'unpaired', a: { name: 'folder', dir, imageSize: 2, channels: 1 }, b: { name: 'folder', dir, imageSize: 2, channels: 1 } } as const;
  const src = await openDataSource(cfg, 3);
  assert.deepEqual(src.fields, { x: { shape: [2, 2, 1], dtype: 'float32' }, a: { shape: [2, 2, 1], dtype: 'float32' }, b: { shape: [2, 2, 1], dtype: 'float32' } });
  assert.equal(src.size, 10);
  const batch = src.nextBatch(10);
  assert.equal(batch.x, batch.a);
  const a = ids(batch.a!, 4, 0);
  const b = ids(batch.b!, 4, 0);
  // Each an epoch of the same folder, but in different orders: the domains do not share a stream.
  assert.deepEqual([...a].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...b].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(a, b);
  // Domain a's stream is that folder opened alone with a's derived seed.
  const alone = await openDataSource(cfg.a, domainSeeds(3).a);
  assert.deepEqual(ids(alone.nextBatch(10).x, 4, 0), a);
});

test('independence: changing domain b (even to MNIST) leaves domain a\'s batches alone', async () => {
  const dirA = greyFolder('a', 7, 0);
  const dirB = greyFolder('b', 5, 100);
  const a = { name: 'folder', dir: dirA, imageSize: 2, channels: 1, augment: { flip: true, jitter: 0.1 } } as const;
  const one = await openDataSource({ name: 'unpaired', a, b: { name: 'folder', dir: dirB, imageSize: 2, channels: 1 } }, 8);
  const two = await openDataSource({ name: 'unpaired', a, b: { name: 'mnist', limit: 50 } }, 8);
  const b1 = [one.nextBatch(6), one.nextBatch(6)];
  const b2 = [two.nextBatch(6), two.nextBatch(6)];
  assert.deepEqual(b2.map((b) => b.a), b1.map((b) => b.a));
  assert.equal(b2[0]!.b!.length, 6 * 784);
  assert.deepEqual(ids(b1[0]!.b!, 4, 100).every((k) => k >= 0 && k < 5), true);
});

test('state round trip resumes both domains; eval set is domain a\'s', async () => {
  const cfg = { name: 'unpaired', a: { name: 'folder', dir: greyFolder('ra', 6, 0), imageSize: 2, channels: 1 }, b: { name: 'stacked-mnist' } } as const;
  const src = await openDataSource(cfg, 2);
  src.nextBatch(4);
  const saved = JSON.parse(JSON.stringify(src.getState()));
  const want = [src.nextBatch(4), src.nextBatch(4)];
  const again = await openDataSource(cfg, 77);
  again.setState(saved);
  assert.deepEqual([again.nextBatch(4), again.nextBatch(4)], want);
  assert.throws(() => again.setState(saved.a), /invalid data-source state \(expected kind 'unpaired'\)/);
  assert.equal(src.size, Infinity);
  assert.equal((await loadEvalSet(cfg, 'train')).count, 6);
});
