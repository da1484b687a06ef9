import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.ts';
import { arraySource, bytesToUnit, imageSetToUnit, type ImageSet } from './dataset.ts';

/** A set whose example i has every byte equal to i and label i % 3, so samples identify themselves. */
function indexSet(count: number, shape: [number, number, number] = [2, 2, 1]): ImageSet {
  const per = shape[0] * shape[1] * shape[2];
  const pixels = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) pixels.fill(i, i * per, (i + 1) * per);
  return { pixels, labels: Int32Array.from({ length: count }, (_, i) => i % 3), count, shape, numClasses: 3 };
}

/** The byte a float sample came from. */
const byteOf = (v: number) => Math.round((v + 1) * 127.5);

function ids(x: Float32Array, per = 4): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i += per) out.push(byteOf(x[i]!));
  return out;
}

test('bytesToUnit maps 0 → -1, 255 → 1, 127.5 midpoint', () => {
  const v = bytesToUnit(Uint8Array.of(0, 255, 51));
  assert.equal(v[0], -1);
  assert.equal(v[1], 1);
  assert.ok(Math.abs(v[2]! - (51 / 127.5 - 1)) < 1e-7);
});

test('arraySource reports the set metadata', () => {
  const src = arraySource('toyset', indexSet(10), 1);
  assert.equal(src.name, 'toyset');
  assert.deepEqual(src.shape, [2, 2, 1]);
  assert.equal(src.numClasses, 3);
  assert.equal(src.size, 10);
  assert.deepEqual(src.range, [-1, 1]);
});

test('each sample is copied whole with its own label', () => {
  const src = arraySource('s', indexSet(7), 3);
  const b = src.nextBatch(7);
  assert.equal(b.x.length, 7 * 4);
  for (let i = 0; i < 7; i++) {
    const id = byteOf(b.x[i * 4]!);
    for (let k = 0; k < 4; k++) assert.equal(b.x[i * 4 + k], Math.fround(id / 127.5 - 1));
    assert.equal(b.labels![i], id % 3);
  }
});

test('epochs: every run of `size` consecutive samples from a fresh source covers each example once', () => {
  const size = 10;
  const src = arraySource('s', indexSet(size), 7);
  const seen: number[] = [];
  for (let b = 0; b < 10; b++) seen.push(...ids(src.nextBatch(3).x)); // 30 samples = 3 epochs, batches straddle boundaries
  const epochs = [seen.slice(0, 10), seen.slice(10, 20), seen.slice(20, 30)];
  for (const e of epochs) assert.deepEqual([...e].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Shuffled, and differently each epoch (a fixed order would have probability 1/10! per pair).
  assert.notDeepEqual(epochs[0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.equal((src.getState() as { epoch: number }).epoch, 2);
});

test('a batch larger than the set wraps across several epochs', () => {
  const src = arraySource('s', indexSet(4), 2);
  const got = ids(src.nextBatch(12).x);
  for (let e = 0; e < 3; e++) assert.deepEqual(got.slice(4 * e, 4 * e + 4).sort(), [0, 1, 2, 3]);
});

test('seeded determinism: same seed same stream, different seed different stream', () => {
  const a = arraySource('s', indexSet(50), 42);
  const b = arraySource('s', indexSet(50), 42);
  const c = arraySource('s', indexSet(50), 43);
  const xa = ids(a.nextBatch(20).x);
  assert.deepEqual(xa, ids(b.nextBatch(20).x));
  assert.notDeepEqual(xa, ids(c.nextBatch(20).x));
});

test('state round trip through JSON continues the exact stream, across an epoch boundary', () => {
  const set = indexSet(10);
  const a = arraySource('s', set, 5);
  for (let i = 0; i < 3; i++) a.nextBatch(4); // 12 samples: epoch 1, cursor 2
  const saved = JSON.parse(JSON.stringify(a.getState()));
  assert.equal(saved.epoch, 1);
  assert.equal(saved.cursor, 2);
  const expected = [a.nextBatch(4), a.nextBatch(4)]; // crosses into epoch 2
  for (const seed of [5, 999]) {
    const b = arraySource('s', set, seed);
    b.setState(saved);
    for (const want of expected) {
      const got = b.nextBatch(4);
      assert.deepEqual(got.x, want.x);
      assert.deepEqual(got.labels, want.labels);
    }
  }
});

test('setState rejects states of another set or malformed ones, naming the source', () => {
  const src = arraySource('mine', indexSet(10), 1);
  const other = arraySource('other', indexSet(11), 1).getState();
  assert.throws(() => src.setState(other), /mine: invalid data-source state \(it is for a set of 11 examples, this one has 10\)/);
  assert.throws(() => src.setState(null), /mine: invalid data-source state \(expected kind 'array'\)/);
  const good = src.getState() as Record<string, unknown>;
  assert.throws(() => src.setState({ ...good, cursor: 11 }), /cursor must be an integer in \[0, 10\]/);
  assert.throws(() => src.setState({ ...good, rng: [1, 2, 3] }), /rng must be four uint32 words/);
});

test('bad inputs: batch size, inconsistent or empty set', () => {
  const src = arraySource('s', indexSet(3), 1);
  assert.throws(() => src.nextBatch(0), /s: batch size must be a positive integer, got 0/);
  assert.throws(() => src.nextBatch(2.5), /batch size must be a positive integer/);
  const bad = { ...indexSet(3), count: 4 };
  assert.throws(() => arraySource('bad', bad, 1), /bad: pixels has 12 values, expected count 4 × 2×2×1 = 16/);
  assert.throws(() => arraySource('floats', { ...indexSet(3), pixels: new Float32Array(12) as unknown as Uint8Array }, 1), /floats: pixels must be a Uint8Array/);
  assert.throws(() => arraySource('empty', { ...indexSet(1), pixels: new Uint8Array(0), labels: null, count: 0 }, 1), /empty set/);
});

test('unlabeled sets give batches without labels', () => {
  const set = { ...indexSet(5), labels: null, numClasses: 0 };
  const src = arraySource('u', set, 1);
  assert.deepEqual(src.fields, { x: { shape: [2, 2, 1], dtype: 'float32' } });
  assert.equal(src.nextBatch(3).labels, undefined);
  assert.deepEqual(arraySource('l', indexSet(5), 1).fields, { x: { shape: [2, 2, 1], dtype: 'float32' }, labels: { shape: [], dtype: 'int32' } });
});

test('batches are bytes / 127.5 − 1 of the permuted examples, the same stream as before the byte storage', () => {
  // Every byte value once, so each of 0..255 must map exactly.
  const pixels = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 7) % 256);
  const set: ImageSet = { pixels, labels: null, count: 256, shape: [1, 3, 1], numClasses: 0 };
  const b = arraySource('bytes', set, 11).nextBatch(300);
  // The permutation stream: Rng(seed).fork('data'), one permutation per epoch, as arraySource always drew it.
  const rng = new Rng(11).fork('data');
  const order = [...rng.permutation(256), ...rng.permutation(256)];
  const want = new Float32Array(300 * 3);
  for (let i = 0; i < 300; i++) for (let k = 0; k < 3; k++) want[i * 3 + k] = pixels[order[i]! * 3 + k]! / 127.5 - 1;
  assert.deepEqual(b.x, want);
});

test('imageSetToUnit: floats of a range of images; bad ranges are errors', () => {
  const set = indexSet(4);
  assert.deepEqual(imageSetToUnit(set), bytesToUnit(set.pixels));
  assert.deepEqual([...imageSetToUnit(set, 2, 1)], new Array(4).fill(Math.fround(2 / 127.5 - 1)));
  assert.throws(() => imageSetToUnit(set, 3, 2), /images 3\.\.4 are outside the set's 0\.\.3/);
});

test('a 50,000-image 64×64×3 set is held as bytes and never converted whole', () => {
  const count = 50_000;
  const per = 64 * 64 * 3;
  // Zero-filled pages are not touched until written, so this costs little real memory.
  const pixels = new Uint8Array(count * per);
  const set: ImageSet = { pixels, labels: null, count, shape: [64, 64, 3], numClasses: 0 };
  assert.ok(set.pixels instanceof Uint8Array);
  assert.equal(set.pixels.byteLength, 614_400_000);
  const before = process.memoryUsage().arrayBuffers;
  const src = arraySource('big', set, 3);
  for (let i = 0; i < 40; i++) {
    const b = src.nextBatch(64);
    assert.equal(b.x.length, 64 * per);
    assert.equal(b.x[0], -1);
  }
  // A float copy would be 2.4 GB; batches are 3 MB each.
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 200e6, `array buffers grew by ${grown} bytes`);
  assert.equal(src.size, count);
});
