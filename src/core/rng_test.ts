import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.ts';

test('same seed gives the same stream, different seeds differ', () => {
  const a = new Rng(7).normalArray(100);
  const b = new Rng(7).normalArray(100);
  const c = new Rng(8).normalArray(100);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('state round-trip continues the exact stream', () => {
  const r = new Rng(3);
  r.uniformArray(17);
  const saved = r.getState();
  const next = r.normalArray(9);
  const r2 = new Rng(0);
  r2.setState(saved);
  assert.deepEqual(r2.normalArray(9), next);
});

test('normal draws have mean 0 and std 1; uniform in [0,1)', () => {
  const x = new Rng(11).normalArray(200_000);
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  const std = Math.sqrt(s2 / x.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.01, `std ${std}`);
  const u = new Rng(12).uniformArray(10_000);
  assert.ok(u.every((v) => v >= 0 && v < 1));
});

test('permutation is a permutation; forks are independent of later parent draws', () => {
  const p = new Rng(5).permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  const a = new Rng(9).fork('data').uniformArray(5);
  const b = new Rng(9).fork('latent').uniformArray(5);
  assert.notDeepEqual(a, b);
});

test('categoricalArray: uniform ids are the int(k) stream; weighted draws follow the weights; bad weights are refused', () => {
  const a = new Rng(4);
  const b = new Rng(4);
  assert.deepEqual(Array.from(a.categoricalArray(50, 7)), Array.from({ length: 50 }, () => b.int(7)));
  const w = [0.5, 0, 0.3, 0.2];
  const draws = new Rng(9).categoricalArray(20_000, 4, w);
  const freq = [0, 1, 2, 3].map((c) => draws.filter((d) => d === c).length / draws.length);
  freq.forEach((f, c) => assert.ok(Math.abs(f - w[c]!) < 0.015, `class ${c}: ${f} vs ${w[c]}`));
  assert.equal(freq[1], 0, 'a zero weight is never drawn');
  // Unnormalised weights mean the same as their normalised shares.
  assert.deepEqual(new Rng(3).categoricalArray(100, 2, [3, 1]), new Rng(3).categoricalArray(100, 2, [0.75, 0.25]));
  assert.throws(() => new Rng(1).categoricalArray(2, 3, [1, 1]), /need 3 non-negative weights/);
  assert.throws(() => new Rng(1).categoricalArray(2, 2, [1, -1]), /non-negative/);
  assert.throws(() => new Rng(1).categoricalArray(2, 2, [0, 0]), /positive sum/);
});
