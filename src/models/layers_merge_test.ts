import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { getLayer } from './layer_api.ts';
import { Rng } from '../core/rng.ts';
import './layers_merge.ts';
import { at, expectBuildError, f64, testCases, type F64, type LayerCase } from './layer_testing.ts';

const rng = new Rng(20261201);

function close(a: number, b: number, tol: number): void {
  if (!(Math.abs(a - b) < tol)) throw new Error(`${a} vs ${b}`);
}

const map = (x: F64, fn: (v: number, i: number) => number): F64 => f64(x.shape, x.data.map(fn));

/** Concatenation along the last axis. */
function concatRef(xs: F64[]): F64 {
  const widths = xs.map((x) => x.shape[x.shape.length - 1]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const rows = xs[0]!.data.length / widths[0]!;
  const out = f64([...xs[0]!.shape.slice(0, -1), total]);
  for (let r = 0; r < rows; r++) {
    let o = r * total;
    xs.forEach((x, k) => {
      for (let j = 0; j < widths[k]!; j++) out.data[o++] = x.data[r * widths[k]! + j]!;
    });
  }
  return out;
}

const dropoutRef = (rate: number) => ([x]: F64[], _p: Record<string, F64>, noise: Rng | undefined) => {
  if (!noise) return x!;
  const u = noise.uniformArray(x!.data.length);
  return map(x!, (v, i) => (u[i]! >= rate ? v / (1 - rate) : 0));
};

const lumaRef = (clip?: [number, number]) => ([c, g]: F64[]): F64 =>
  map(c!, (v, i) => {
    const p = Math.floor(i / 3);
    const y = 0.299 * c!.data[3 * p]! + 0.587 * c!.data[3 * p + 1]! + 0.114 * c!.data[3 * p + 2]!;
    const o = v - y + g!.data[p]!;
    return clip ? Math.min(clip[1], Math.max(clip[0], o)) : o;
  });

/** image·(1 − m) + fill·m, the mask broadcast over channels (m is any real here: finite differences need no 0/1). */
const compositeRef = ([x, m, fill]: F64[]): F64 =>
  map(x!, (v, i) => {
    const c = x!.shape[x!.shape.length - 1]!;
    const mv = m!.data[Math.floor(i / c)]!;
    return v * (1 - mv) + (fill ? fill.data[i]! * mv : 0);
  });

const CASES: LayerCase[] = [
  { name: 'add of three', spec: { type: 'add' }, inShapes: [[4, 3, 2], [4, 3, 2], [4, 3, 2]], secondOrder: true,
    reference: ([a, b, c]) => map(a!, (v, i) => v + b!.data[i]! + c!.data[i]!) },
  { name: 'concat of image channels', spec: { type: 'concat' }, inShapes: [[3, 4, 2], [3, 4, 3]], secondOrder: true,
    reference: concatRef },
  { name: 'concat of vectors', spec: { type: 'concat' }, inShapes: [[3], [1], [2]], batch: 3, secondOrder: true, reference: concatRef },
  { name: 'dot of vectors', spec: { type: 'dot' }, inShapes: [[5], [5]], batch: 3, secondOrder: true,
    reference: ([a, b]) => {
      const out = f64([3, 1]);
      for (let n = 0; n < 3; n++) for (let j = 0; j < 5; j++) out.data[n]! += at(a!, n, j) * at(b!, n, j);
      return out;
    } },
  { name: 'dropout while training', spec: { type: 'dropout', rate: 0.3 }, inShapes: [[4, 4, 3]], noise: true, reference: dropoutRef(0.3) },
  { name: 'dropout off at inference', spec: { type: 'dropout', rate: 0.3 }, inShapes: [[6]], noise: true, training: false, reference: ([x]) => x! },
  { name: 'dropout off without a noise stream', spec: { type: 'dropout', rate: 0.5 }, inShapes: [[6]], reference: ([x]) => x! },
  { name: 'embedding', spec: { type: 'embedding', vocab: 7, dim: 3 }, inShapes: [[5]], ids: { 0: 7 },
    reference: ([ids], { table }) => {
      const out = f64([...ids!.shape, 3]);
      ids!.data.forEach((id, i) => { for (let d = 0; d < 3; d++) out.data[i * 3 + d] = at(table!, id, d); });
      return out;
    } },
  { name: 'replaceLuma', spec: { type: 'replaceLuma' }, inShapes: [[3, 2, 3], [3, 2, 1]], secondOrder: true, reference: lumaRef() },
  // Wide bounds: finite differences are meaningless at the clip's kinks; clipping itself is checked below.
  { name: 'replaceLuma clipped', spec: { type: 'replaceLuma', clip: [-50, 50] }, inShapes: [[2, 2, 3], [2, 2, 1]], reference: lumaRef([-50, 50]) },
  { name: 'maskComposite with a fill', spec: { type: 'maskComposite' }, inShapes: [[3, 2, 3], [3, 2, 1], [3, 2, 3]], secondOrder: true, reference: compositeRef },
  { name: 'maskComposite zeroing the hole', spec: { type: 'maskComposite' }, inShapes: [[2, 3, 1], [2, 3, 1]], secondOrder: true, reference: compositeRef },
  { name: 'prelu', spec: { type: 'prelu' }, inShapes: [[3, 3, 4]], secondOrder: true,
    reference: ([x], { alpha }) => map(x!, (v, i) => (v > 0 ? v : v * alpha!.data[i % 4]!)) },
  { name: 'prelu shared', spec: { type: 'prelu', shared: true }, inShapes: [[3, 3, 4]], secondOrder: true,
    reference: ([x], { alpha }) => map(x!, (v) => (v > 0 ? v : v * alpha!.data[0]!)) },
];

describe('merge layers', () => {
  it('replaceLuma keeps the gray input as the luma exactly and clips to the data range', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { getLayer } = await import('./layer_api.ts');
    await tf.setBackend('cpu');
    const layer = { spec: { type: 'replaceLuma', clip: [-1, 1] }, params: {} } as never;
    const colour = tf.tensor([[[[0.2, -0.4, 0.5], [1, -1, -1]]]]);
    const gray = tf.tensor([[[[0.1], [1]]]]);
    const out = getLayer('replaceLuma').apply(layer, [colour, gray], { training: false }).arraySync() as number[][][][];
    const [p0, p1] = out[0]![0]!;
    close(0.299 * p0![0]! + 0.587 * p0![1]! + 0.114 * p0![2]!, 0.1, 1e-6);
    // White with a red prediction: R would be 2.4, clipped to 1.
    if (!p1!.every((v) => v <= 1 && v >= -1) || p1![0] !== 1) throw new Error(`not clipped: ${p1}`);
  });

  testCases(CASES, rng);

  it('reject inputs they cannot take', () => {
    expectBuildError({ type: 'add' }, [[2, 3]], /at least 2 inputs/);
    expectBuildError({ type: 'add' }, [[2, 3], [3, 2]], /one shape.*\[2,3\] and \[3,2\]/);
    expectBuildError({ type: 'concat' }, [[4, 4, 2], [4, 5, 2]], /agree on all but the last axis/);
    expectBuildError({ type: 'concat' }, [[4, 2], [4, 4, 2]], /agree on all but the last axis/);
    expectBuildError({ type: 'dot' }, [[4], [3]], /two vectors of one length, got \[4\] and \[3\]/);
    expectBuildError({ type: 'dropout', rate: 1 }, [[3]], /rate in \[0, 1\)/);
    expectBuildError({ type: 'embedding', vocab: 0, dim: 3 }, [[3]], /vocab to be an integer/);
    expectBuildError({ type: 'embedding', vocab: 4, dim: 3 }, [[]], /token ids \[T\], got a scalar/);
    expectBuildError({ type: 'prelu' }, [[]], /channel axis/);
    expectBuildError({ type: 'replaceLuma' }, [[4, 4, 3], [4, 4, 3]], /gray one \[H, W, 1\]/);
    expectBuildError({ type: 'replaceLuma', clip: [1, -1] }, [[4, 4, 3], [4, 4, 1]], /lo < hi/);
    expectBuildError({ type: 'maskComposite' }, [[4, 4, 3], [4, 4, 3]], /a mask \[H, W, 1\]/);
    expectBuildError({ type: 'smoothFill' }, [[4, 4, 3], [4, 5, 1]], /needs an image \[H, W, C\] and a mask \[H, W, 1\]/);
    expectBuildError({ type: 'smoothFill', iterations: -1 }, [[4, 4, 3], [4, 4, 1]], /iterations to be an integer ≥ 0/);
    expectBuildError({ type: 'maskComposite' }, [[4, 4, 3], [4, 4, 1], [4, 4, 1]], /a fill \[H, W, C\]/);
  });
  it('smoothFill keeps known pixels exactly, keeps a constant, stays within the known range, and fills a linear ramp closely', () => {
    const layer = (iterations?: number) => ({ spec: { type: 'smoothFill', iterations }, params: {} }) as never;
    const fill = (x: number[], m: number[], shape: [number, number, number], iterations?: number) =>
      tf.tidy(() => getLayer('smoothFill').apply(layer(iterations), [tf.tensor(x, [1, ...shape]), tf.tensor(m, [1, shape[0], shape[1], 1])], { training: false }).dataSync());
    const H = 12;
    const mask = Array.from({ length: H * H }, (_, p) => (Math.floor(p / H) >= 3 && Math.floor(p / H) < 9 && p % H >= 2 && p % H < 10 ? 1 : 0));
    const ramp = Array.from({ length: H * H }, (_, p) => -0.6 + 0.1 * (p % H));
    const y = fill(ramp, mask, [H, H, 1]);
    let worst = 0;
    for (let p = 0; p < H * H; p++) {
      if (!mask[p]) assert.equal(y[p], Math.fround(ramp[p]!), 'a known pixel changed');
      else worst = Math.max(worst, Math.abs(y[p]! - ramp[p]!));
      assert.ok(y[p]! >= -0.6 - 1e-6 && y[p]! <= 0.5 + 1e-6, 'outside the known range');
    }
    assert.ok(worst < 0.08, `ramp error ${worst}`);
    assert.ok(worst < Math.max(...Array.from(fill(ramp, mask, [H, H, 1], 0), (v, p) => Math.abs(v - ramp[p]!))), 'the relaxation sweeps bring it closer');
    const flat = fill(new Array(H * H * 3).fill(0.25), mask, [H, H, 3]);
    assert.ok(flat.every((v) => Math.abs(v - 0.25) < 1e-6));
  });
});
