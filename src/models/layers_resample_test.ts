import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import './layers_resample.ts';
import {
  applyTestLayer, at, buildTestLayer, disposeLayer, expectBuildError, f64, fdGradient, fill4, relErr, testCases, useProductionEngine,
  type AnySpec, type F64, type LayerCase,
} from './layer_testing.ts';

const rng = new Rng(20261202);

const nearestRef = (f: number) => ([x]: F64[]) => {
  const [b, h, w, c] = x!.shape as [number, number, number, number];
  return fill4([b, h * f, w * f, c], (n, i, j, k) => at(x!, n, Math.floor(i / f), Math.floor(j / f), k));
};

/** Half-pixel source coordinate, clamped as PyTorch's align_corners=False: [lower, upper, weight of upper]. */
function source(i: number, f: number, n: number): [number, number, number] {
  const s = Math.max((i + 0.5) / f - 0.5, 0);
  const lo = Math.min(Math.floor(s), n - 1);
  return [lo, Math.min(lo + 1, n - 1), s - lo];
}

const bilinearRef = (f: number) => ([x]: F64[]) => {
  const [b, h, w, c] = x!.shape as [number, number, number, number];
  return fill4([b, h * f, w * f, c], (n, i, j, k) => {
    const [i0, i1, ti] = source(i, f, h);
    const [j0, j1, tj] = source(j, f, w);
    const row = (r: number) => (1 - tj) * at(x!, n, r, j0, k) + tj * at(x!, n, r, j1, k);
    return (1 - ti) * row(i0) + ti * row(i1);
  });
};

const downRef = (f: number) => ([x]: F64[]) => {
  const [b, h, w, c] = x!.shape as [number, number, number, number];
  return fill4([b, h / f, w / f, c], (n, i, j, k) => {
    let s = 0;
    for (let di = 0; di < f; di++) for (let dj = 0; dj < f; dj++) s += at(x!, n, i * f + di, j * f + dj, k);
    return s / (f * f);
  });
};

const shuffleRef = (r: number) => ([x]: F64[]) => {
  const [b, h, w, c] = x!.shape as [number, number, number, number];
  const co = c / (r * r);
  return fill4([b, h * r, w * r, co], (n, i, j, k) => at(x!, n, Math.floor(i / r), Math.floor(j / r), ((i % r) * r + (j % r)) * co + k));
};

const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
const reflectRef = (ph: number, pw: number) => ([x]: F64[]) => {
  const [b, h, w, c] = x!.shape as [number, number, number, number];
  return fill4([b, h + 2 * ph, w + 2 * pw, c], (n, i, j, k) => at(x!, n, reflect(i - ph, h), reflect(j - pw, w), k));
};

const CASES: LayerCase[] = [
  { name: 'upsample nearest ×2', spec: { type: 'upsample', factor: 2 }, inShapes: [[3, 4, 2]], secondOrder: true, reference: nearestRef(2) },
  { name: 'upsample nearest ×3', spec: { type: 'upsample', factor: 3, mode: 'nearest' }, inShapes: [[2, 3, 2]], secondOrder: true, reference: nearestRef(3) },
  { name: 'upsample bilinear ×2', spec: { type: 'upsample', factor: 2, mode: 'bilinear' }, inShapes: [[3, 4, 2]], secondOrder: true, reference: bilinearRef(2) },
  { name: 'upsample bilinear ×3', spec: { type: 'upsample', factor: 3, mode: 'bilinear' }, inShapes: [[3, 2, 2]], secondOrder: true, reference: bilinearRef(3) },
  { name: 'downsample ×2', spec: { type: 'downsample', factor: 2 }, inShapes: [[4, 6, 3]], secondOrder: true, reference: downRef(2) },
  { name: 'downsample ×3', spec: { type: 'downsample', factor: 3 }, inShapes: [[3, 6, 2]], secondOrder: true, reference: downRef(3) },
  { name: 'pixelShuffle ×2', spec: { type: 'pixelShuffle', factor: 2 }, inShapes: [[3, 2, 8]], secondOrder: true, reference: shuffleRef(2) },
  { name: 'reflectPad 2', spec: { type: 'reflectPad', pad: 2 }, inShapes: [[4, 5, 2]], secondOrder: true, reference: reflectRef(2, 2) },
  { name: 'reflectPad [1, 3]', spec: { type: 'reflectPad', pad: [1, 3] }, inShapes: [[3, 4, 2]], secondOrder: true, reference: reflectRef(1, 3) },
];

describe('resample layers', () => {
  testCases(CASES, rng);

  it('match TF.js resize and depthToSpace values', async () => {
    await useProductionEngine();
    const checks: [string, number][] = [];
    const x = tf.tensor(rng.normalArray(2 * 3 * 4 * 8), [2, 3, 4, 8]) as tf.Tensor4D;
    const compare = (spec: AnySpec, stock: () => tf.Tensor) => {
      const layer = buildTestLayer(spec, [x.shape.slice(1)]);
      const ours = applyTestLayer(layer, [x], { training: false });
      const theirs = stock();
      checks.push([spec.type, relErr(ours.dataSync(), theirs.dataSync())]);
      tf.dispose([ours, theirs]);
      disposeLayer(layer);
    };
    compare({ type: 'upsample', factor: 2 }, () => tf.image.resizeNearestNeighbor(x, [6, 8]));
    compare({ type: 'upsample', factor: 2, mode: 'bilinear' }, () => tf.image.resizeBilinear(x, [6, 8], false, true));
    compare({ type: 'pixelShuffle', factor: 2 }, () => tf.depthToSpace(x, 2));
    compare({ type: 'reflectPad', pad: 2 }, () => tf.mirrorPad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect'));
    x.dispose();
    for (const [name, err] of checks) assert.ok(err < 1e-6, `${name}: relErr ${err}`);
  });

  it("fix tf.mirrorPad's gradient, which drops the reflected border terms", async () => {
    await useProductionEngine();
    const before = tf.memory().numTensors;
    const x = f64([1, 4, 5, 2], rng.normalArray(40));
    const r = rng.normalArray(1 * 8 * 9 * 2);
    const want = fdGradient(() => reflectRef(2, 2)([x]).data.reduce((s, v, i) => s + v * r[i]!, 0), [x])[0]!;
    const layer = buildTestLayer({ type: 'reflectPad', pad: 2 }, [[4, 5, 2]]);
    const gradOf = (pad: (t: tf.Tensor) => tf.Tensor) => tf.tidy(() => {
      const rt = tf.tensor(r, [1, 8, 9, 2]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pad(t), rt)))(tf.tensor(Float32Array.from(x.data), x.shape)).dataSync();
    });
    const stock = gradOf((t) => tf.mirrorPad(t, [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect'));
    const ours = gradOf((t) => applyTestLayer(layer, [t], { training: true }));
    disposeLayer(layer);
    assert.ok(relErr(stock, want) > 0.1, 'the stock gradient is expected to be wrong');
    assert.ok(relErr(ours, want) < 1e-5, `reflectPad gradient relErr ${relErr(ours, want)}`);
    // It is right only for pixels no reflection copies: rows 0 and 3, columns 0 and 4 of the 4 × 5 input.
    const copied = (o: number) => {
      const [h, w] = [Math.floor(o / 10), Math.floor(o / 2) % 5];
      return !((h === 0 || h === 3) && (w === 0 || w === 4));
    };
    stock.forEach((g, o) => assert.equal(Math.abs(g - want[o]!) > 1e-4, copied(o), `input element ${o}`));
    assert.equal(tf.memory().numTensors, before);
  });

  it('reject inputs they cannot take', () => {
    expectBuildError({ type: 'upsample', factor: 0 }, [[4, 4, 3]], /factor to be an integer ≥ 1/);
    expectBuildError({ type: 'upsample', factor: 2, mode: 'bicubic' }, [[4, 4, 3]], /mode must be/);
    expectBuildError({ type: 'upsample', factor: 2 }, [[4, 3]], /\[H, W, C\]/);
    expectBuildError({ type: 'downsample', factor: 2 }, [[4, 5, 3]], /does not divide/);
    expectBuildError({ type: 'pixelShuffle', factor: 2 }, [[4, 4, 6]], /divisible by factor² = 4/);
    expectBuildError({ type: 'reflectPad', pad: 3 }, [[3, 8, 2]], /smaller than/);
    expectBuildError({ type: 'reflectPad', pad: -1 }, [[3, 8, 2]], /integer ≥ 0/);
    expectBuildError({ type: 'reflectPad', pad: [1, 2, 3] }, [[3, 8, 2]], /number or \[vertical, horizontal\]/);
  });
});
