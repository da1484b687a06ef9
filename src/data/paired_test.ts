import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadPairedSet, matchPairs, pairedSource } from './paired.ts';
import { byteOf, pngOf, put, solidPng, tempDir } from './test_support.ts';

const tmp = tempDir('gantry-paired-');
after(tmp.remove);

test("'ab' layout: left half is the input, right half the target, exact bytes", () => {
  const dir = join(tmp.dir, 'ab');
  // 4×2 images: left 2×2 grey 10·k, right 2×2 grey 200 + k, for file k.
  for (let k = 0; k < 3; k++) put(join(dir, `${k}.png`), pngOf(4, 2, (x) => (x < 2 ? [10 * k, 10 * k, 10 * k, 255] : [200 + k, 200 + k, 200 + k, 255])));
  const set = loadPairedSet({ layout: 'ab', dir, imageSize: 2, channels: 1 }, 'train');
  assert.equal(set.input.count, 3);
  assert.deepEqual(set.input.shape, [2, 2, 1]);
  assert.ok(set.input.pixels instanceof Uint8Array);
  assert.deepEqual([...set.input.pixels], [0, 0, 0, 0, 10, 10, 10, 10, 20, 20, 20, 20]);
  assert.deepEqual([...set.target.pixels], [200, 200, 200, 200, 201, 201, 201, 201, 202, 202, 202, 202]);
  assert.throws(() => loadPairedSet({ layout: 'ab', dir, imageSize: 2, channels: 1 }, 'test'), /paired folder .*ab has no test split/);
});

test("'ab': an odd width gives the target the extra column; a 1-pixel-wide image is an error", () => {
  const dir = join(tmp.dir, 'odd');
  // 3×1: input column 0 (50), target columns 1..2 (100, 100) centre-cropped to 1×1.
  put(join(dir, 'a.png'), pngOf(3, 1, (x) => (x === 0 ? [50, 50, 50, 255] : [100, 100, 100, 255])));
  const set = loadPairedSet({ layout: 'ab', dir, imageSize: 1, channels: 1 }, 'train');
  assert.deepEqual([...set.input.pixels, ...set.target.pixels], [50, 100]);
  put(join(dir, 'thin.png'), solidPng(1, 4, 0));
  assert.throws(() => loadPairedSet({ layout: 'ab', dir, imageSize: 1, channels: 1 }, 'train'), /thin\.png: 1 pixel\(s\) wide: an AB image holds the input and the target side by side/);
});

test("'folders': A/ and B/ matched by name (extension aside), in sorted order; train/test splits", () => {
  const dir = join(tmp.dir, 'folders');
  for (const split of ['train', 'test']) {
    const base = join(dir, split);
    // B is written in another order and format-agnostic extension: pairing goes by name.
    put(join(base, 'B', 'zeta.png'), solidPng(2, 2, 250));
    put(join(base, 'B', 'alpha.png'), solidPng(2, 2, 150));
    put(join(base, 'A', 'alpha.png'), solidPng(2, 2, 15));
    put(join(base, 'A', 'zeta.png'), solidPng(2, 2, 25));
    put(join(base, 'A', 'sub', 'x.png'), solidPng(2, 2, 35));
    put(join(base, 'B', 'sub', 'x.PNG'), solidPng(2, 2, 135));
  }
  const set = loadPairedSet({ layout: 'folders', dir, imageSize: 1, channels: 1 }, 'test');
  assert.deepEqual(set.files.map((f) => f.slice(join(dir, 'test', 'A').length + 1)), ['alpha.png', join('sub', 'x.png'), 'zeta.png']);
  assert.deepEqual([...set.input.pixels], [15, 35, 25]);
  assert.deepEqual([...set.target.pixels], [150, 135, 250]);
  const viaDirs = loadPairedSet({ layout: 'folders', dirA: join(dir, 'train', 'A'), dirB: join(dir, 'train', 'B'), imageSize: 1, channels: 1 }, 'train');
  assert.deepEqual(viaDirs.target.pixels, set.target.pixels);
  assert.throws(() => loadPairedSet({ layout: 'folders', dirA: join(dir, 'train', 'A'), dirB: join(dir, 'train', 'B'), imageSize: 1, channels: 1 }, 'test'), /'dirA' and 'dirB' has no test split/);
  assert.throws(() => loadPairedSet({ layout: 'folders', dirA: join(dir, 'train', 'A'), imageSize: 1, channels: 1 }, 'train'), /give both 'dirA' and 'dirB'/);
});

test('unmatched files are named on both sides; same-name files are ambiguous', () => {
  const dir = join(tmp.dir, 'unmatched');
  put(join(dir, 'A', 'shared.png'), solidPng(2, 2, 1));
  put(join(dir, 'B', 'shared.png'), solidPng(2, 2, 1));
  put(join(dir, 'A', 'only_in_a.png'), solidPng(2, 2, 1));
  put(join(dir, 'B', 'only_in_b.jpg'), solidPng(2, 2, 1));
  assert.throws(
    () => matchPairs(join(dir, 'A'), join(dir, 'B')),
    /paired folders: files are matched by name; 1 file\(s\) in .*A have no match in .*B: only_in_a\.png; 1 file\(s\) in .*B have no match in .*A: only_in_b\.jpg/,
  );
  put(join(dir, 'A', 'shared.jpg'), solidPng(2, 2, 1));
  assert.throws(() => matchPairs(join(dir, 'A'), join(dir, 'B')), /shared\.jpg and shared\.png have the same name: cannot tell which one pairs/);
  assert.throws(() => matchPairs(join(dir, 'none'), join(dir, 'B')), /paired folder .*none not found/);
});

test('pairedSource: input and target of the same example, one permutation, x is the target', () => {
  const dir = join(tmp.dir, 'src');
  for (let k = 0; k < 5; k++) {
    put(join(dir, 'A', `${k}.png`), solidPng(2, 2, k));
    put(join(dir, 'B', `${k}.png`), solidPng(2, 2, 100 + k));
  }
  const set = loadPairedSet({ layout: 'folders', dir, imageSize: 2, channels: 3 }, 'train');
  const src = pairedSource('paired', set, 7);
  assert.deepEqual(src.fields, {
    x: { shape: [2, 2, 3], dtype: 'float32' },
    input: { shape: [2, 2, 3], dtype: 'float32' },
    target: { shape: [2, 2, 3], dtype: 'float32' },
  });
  const seen: number[] = [];
  for (let n = 0; n < 2; n++) {
    const b = src.nextBatch(5);
    assert.equal(b.x, b.target);
    for (let i = 0; i < 5; i++) {
      const k = byteOf(b.input![i * 12]!);
      assert.equal(byteOf(b.target![i * 12]!), 100 + k);
      seen.push(k);
    }
  }
  assert.deepEqual(seen.slice(0, 5).sort(), [0, 1, 2, 3, 4]);
  assert.notDeepEqual(seen.slice(0, 5), seen.slice(5));
});
