import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.ts';
import { nearestModes, sampleToy, sampleToyWithModes, TOY_MIXTURES, toyRange, toySource } from './toy.ts';

test('ring8: 8 distinct modes on the unit circle at angles 2πk/8', () => {
  const { modes, std } = TOY_MIXTURES.ring8;
  assert.equal(std, 0.01);
  assert.equal(modes.length, 8);
  const angles = modes.map(([x, y]) => Math.atan2(y!, x!));
  modes.forEach(([x, y], k) => {
    assert.ok(Math.abs(Math.hypot(x!, y!) - 1) < 1e-12);
    const expected = (2 * Math.PI * k) / 8;
    const diff = Math.abs(Math.atan2(Math.sin(angles[k]! - expected), Math.cos(angles[k]! - expected)));
    assert.ok(diff < 1e-12, `mode ${k} at angle ${angles[k]}, expected ${expected}`);
  });
  // Distinct: every pair is one chord of the octagon apart at least (2 sin(π/8) ≈ 0.765).
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j < 8; j++) {
      assert.ok(Math.hypot(modes[i]![0]! - modes[j]![0]!, modes[i]![1]! - modes[j]![1]!) > 0.76);
    }
  }
});

test('grid25: the 25 points of {-4,-2,0,2,4}², std 0.05', () => {
  const { modes, std } = TOY_MIXTURES.grid25;
  assert.equal(std, 0.05);
  const keys = new Set(modes.map((m) => m.join(',')));
  assert.equal(keys.size, 25);
  for (const x of [-4, -2, 0, 2, 4]) for (const y of [-4, -2, 0, 2, 4]) assert.ok(keys.has(`${x},${y}`));
});

test('range is the mode bounding box ± 4 std', () => {
  const r = toyRange(TOY_MIXTURES.ring8);
  assert.ok(Math.abs(r[0] + 1.04) < 1e-12 && Math.abs(r[1] - 1.04) < 1e-12, `ring8 range ${r}`);
  assert.deepEqual(toyRange(TOY_MIXTURES.grid25), [-4.2, 4.2]);
  assert.deepEqual(toySource('grid25', 1).range, [-4.2, 4.2]);
});

test('samples: uniform over modes, Gaussian with the mixture std around each', () => {
  for (const mixture of Object.values(TOY_MIXTURES)) {
    const n = 20000;
    const { x, modes } = sampleToyWithModes(mixture, n, new Rng(11));
    const k = mixture.modes.length;
    const counts = new Array<number>(k).fill(0);
    for (const m of modes) counts[m]!++;
    const expected = n / k;
    const sd = Math.sqrt(n * (1 / k) * (1 - 1 / k));
    for (const c of counts) assert.ok(Math.abs(c - expected) < 5 * sd, `${mixture.name}: mode count ${c}, expected ${expected} ± ${5 * sd}`);
    // Residuals from the generating mode: mean ~0, std ~ mixture.std per coordinate.
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < 2; d++) {
        const r = x[i * 2 + d]! - mixture.modes[modes[i]!]![d]!;
        sum += r;
        sumSq += r * r;
      }
    }
    const mean = sum / (2 * n);
    const std = Math.sqrt(sumSq / (2 * n) - mean * mean);
    assert.ok(Math.abs(mean) < 5 * mixture.std / Math.sqrt(2 * n), `${mixture.name}: residual mean ${mean}`);
    assert.ok(Math.abs(std / mixture.std - 1) < 0.03, `${mixture.name}: residual std ${std}, expected ${mixture.std}`);
    // The nearest mode recovers the generating one (modes are ≥ 15 std apart).
    assert.deepEqual(nearestModes(mixture, x).modes, modes);
  }
});

test('sampleToy returns [n, 2] and follows its Rng', () => {
  const a = sampleToy(TOY_MIXTURES.ring8, 5, new Rng(3));
  assert.equal(a.length, 10);
  assert.deepEqual(a, sampleToy(TOY_MIXTURES.ring8, 5, new Rng(3)));
  assert.notDeepEqual(a, sampleToy(TOY_MIXTURES.ring8, 5, new Rng(4)));
});

test('toySource: metadata, determinism, fresh samples each batch', () => {
  const src = toySource('ring8', 9);
  assert.equal(src.name, 'ring8');
  assert.deepEqual(src.shape, [2]);
  assert.equal(src.numClasses, 0);
  assert.equal(src.size, Infinity);
  const b1 = src.nextBatch(16);
  assert.equal(b1.x.length, 32);
  assert.equal(b1.labels, undefined);
  assert.notDeepEqual(src.nextBatch(16).x, b1.x);
  assert.deepEqual(toySource('ring8', 9).nextBatch(16).x, b1.x);
  assert.notDeepEqual(toySource('ring8', 10).nextBatch(16).x, b1.x);
});

test('toySource state round trip continues the exact stream', () => {
  const a = toySource('grid25', 4);
  for (let i = 0; i < 3; i++) a.nextBatch(8);
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const want = [a.nextBatch(8).x, a.nextBatch(8).x];
  const b = toySource('grid25', 4);
  b.setState(saved);
  assert.deepEqual([b.nextBatch(8).x, b.nextBatch(8).x], want);
  assert.throws(() => toySource('ring8', 4).setState(saved), /ring8: invalid data-source state \(it is for 'grid25'\)/);
});

test('unknown toy name is a clear error', () => {
  assert.throws(() => toySource('ring9', 1), /unknown toy dataset 'ring9', expected one of ring8, grid25/);
});
