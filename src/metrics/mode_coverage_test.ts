import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeCoverage, stackedMnistLabels, stackedMnistModes } from './mode_coverage.ts';

const ring = (k: number, r: number) =>
  Array.from({ length: k }, (_, i) => [r * Math.cos((2 * Math.PI * i) / k), r * Math.sin((2 * Math.PI * i) / k)]);

test('modeCoverage: hand-placed samples', () => {
  const modes = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const std = 1;
  const samples = new Float32Array([
    0.5, 0.5, // mode 0, dist 0.71 < 3: high quality
    2.9, 0, // mode 0, dist 2.9 < 3: high quality
    10, 3.1, // nearest mode 1 but dist 3.1 >= 3: low quality
    5, 5, // far from every mode
    -1, 10.5, // mode 2, high quality
  ]);
  const r = modeCoverage(samples, modes, std);
  assert.equal(r.n, 5);
  assert.equal(r.num_modes, 3);
  assert.equal(r.modes_covered, 2);
  assert.deepEqual(r.per_mode, [2, 0, 1]);
  assert.ok(Math.abs(r.high_quality_pct - 60) < 1e-9);
});

test('modeCoverage: exactly 3 std is not high quality; std scales the threshold', () => {
  const modes = [[0, 0]];
  assert.equal(modeCoverage(new Float32Array([3, 0]), modes, 1).modes_covered, 0);
  assert.equal(modeCoverage(new Float32Array([0.029, 0]), modes, 0.01).modes_covered, 1);
  assert.equal(modeCoverage(new Float32Array([0.031, 0]), modes, 0.01).modes_covered, 0);
});

test('modeCoverage: samples on every mode of an 8-ring cover all; NaN samples count as low quality', () => {
  const modes = ring(8, 2);
  const pts: number[] = [];
  for (const m of modes) pts.push(m[0]! + 0.01, m[1]! - 0.01);
  pts.push(NaN, NaN);
  const r = modeCoverage(new Float32Array(pts), modes, 0.02);
  assert.equal(r.modes_covered, 8);
  assert.deepEqual(r.per_mode, new Array(8).fill(1));
  assert.ok(Math.abs(r.high_quality_pct - (100 * 8) / 9) < 1e-9);
});

test('modeCoverage: bad input names the problem', () => {
  assert.throws(() => modeCoverage(new Float32Array(3), [[0, 0]], 1), /multiple of the mode dimension 2/);
  assert.throws(() => modeCoverage(new Float32Array(2), [[0, 0], [1]], 1), /mode 1 has 1 coordinates/);
  assert.throws(() => modeCoverage(new Float32Array(2), [[0, 0]], 0), /std must be > 0/);
});

test('stackedMnistModes: uniform over 1000 modes has KL 0, a single mode has KL ln 1000', () => {
  const uniform = Int32Array.from({ length: 3000 }, (_, i) => i % 1000);
  const u = stackedMnistModes(uniform);
  assert.equal(u.modes, 1000);
  assert.ok(Math.abs(u.kl_to_uniform) < 1e-12);
  const single = new Int32Array(500).fill(421);
  const s = stackedMnistModes(single);
  assert.equal(s.modes, 1);
  assert.ok(Math.abs(s.kl_to_uniform - Math.log(1000)) < 1e-12);
  // Two equally likely modes: KL = ln(1000 / 2).
  const two = Int32Array.from({ length: 10 }, (_, i) => (i % 2 ? 7 : 999));
  assert.ok(Math.abs(stackedMnistModes(two).kl_to_uniform - Math.log(500)) < 1e-12);
  assert.throws(() => stackedMnistModes(new Int32Array([1000])), /index 0 is 1000/);
});

test('stackedMnistLabels combines channel digits', () => {
  const l = stackedMnistLabels(new Int32Array([1, 9]), new Int32Array([2, 0]), new Int32Array([3, 5]));
  assert.deepEqual(Array.from(l), [123, 905]);
});
