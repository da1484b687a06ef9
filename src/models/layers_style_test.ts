import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import './layers_style.ts';
import {
  applyTestLayer, at, buildTestLayer, disposeLayer, expectBuildError, f64, fill4, testCases, useProductionEngine, type F64, type LayerCase,
} from './layer_testing.ts';

const rng = new Rng(20261204);

/** NHWC conv with TF's 'same' (extra padding after) or 'valid' padding; w [k, k, Cin, Cout] times `scale`. */
function conv2dRef(x: F64, w: F64, stride: number, pad: 'same' | 'valid', scale = 1): F64 {
  const [b, h, wd, ci] = x.shape as [number, number, number, number];
  const [k, , , co] = w.shape as [number, number, number, number];
  const outSize = (n: number) => (pad === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1);
  const before = (n: number) => (pad === 'same' ? Math.floor(Math.max((outSize(n) - 1) * stride + k - n, 0) / 2) : 0);
  return fill4([b, outSize(h), outSize(wd), co], (n, i, j, o) => {
    let s = 0;
    for (let di = 0; di < k; di++) {
      const y = i * stride + di - before(h);
      if (y < 0 || y >= h) continue;
      for (let dj = 0; dj < k; dj++) {
        const xx = j * stride + dj - before(wd);
        if (xx < 0 || xx >= wd) continue;
        for (let c = 0; c < ci; c++) s += at(x, n, y, xx, c) * at(w, di, dj, c, o);
      }
    }
    return s * scale;
  });
}

const addBiasRef = (y: F64, bias: F64 | undefined, mul = 1) =>
  bias ? f64(y.shape, y.data.map((v, o) => v + mul * bias.data[o % bias.data.length]!)) : y;

const eqDenseRef = (lrMul: number) => ([x]: F64[], { kernel, bias }: Record<string, F64>) => {
  const [fanIn, units] = kernel!.shape as [number, number];
  const rows = x!.data.length / fanIn;
  const out = f64([...x!.shape.slice(0, -1), units]);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let s = 0;
      for (let i = 0; i < fanIn; i++) s += x!.data[r * fanIn + i]! * at(kernel!, i, u);
      out.data[r * units + u] = (s * lrMul) / Math.sqrt(fanIn);
    }
  }
  return addBiasRef(out, bias, lrMul);
};

const eqConvRef = (stride: number, pad: 'same' | 'valid') => ([x]: F64[], { kernel, bias }: Record<string, F64>) => {
  const [k, , ci] = kernel!.shape as [number, number, number];
  return addBiasRef(conv2dRef(x!, kernel!, stride, pad, 1 / Math.sqrt(k * k * ci)), bias);
};

const minibatchStdRef = (group: number) => ([x]: F64[]) => {
  const b = x!.shape[0]!, size = x!.data.length / b;
  const g = Math.min(group, b), m = b / g;
  const stat = Array.from({ length: m }, (_, j) => {
    let total = 0;
    for (let f = 0; f < size; f++) {
      const vals = Array.from({ length: g }, (_, i) => x!.data[(i * m + j) * size + f]!);
      const mean = vals.reduce((p, q) => p + q, 0) / g;
      total += Math.sqrt(vals.reduce((p, q) => p + (q - mean) ** 2, 0) / g + 1e-8);
    }
    return total / size;
  });
  const c = x!.shape[x!.shape.length - 1]!;
  const out = f64([...x!.shape.slice(0, -1), c + 1]);
  for (let p = 0; p < x!.data.length / c; p++) {
    for (let k = 0; k < c; k++) out.data[p * (c + 1) + k] = x!.data[p * c + k]!;
    out.data[p * (c + 1) + c] = stat[Math.floor(p / (size / c)) % m]!;
  }
  return out;
};

const noiseRef = ([x]: F64[], { scale }: Record<string, F64>, noise: Rng | undefined) => {
  if (!noise) return x!;
  const [b, h, w] = x!.shape as [number, number, number, number];
  const n = noise.normalArray(b * h * w);
  return fill4(x!.shape, (i, j, k, ch) => at(x!, i, j, k, ch) + scale!.data[ch]! * n[(i * h + j) * w + k]!);
};

/** StyleGAN2's grouped form: a modulated (and demodulated) weight per sample, one conv each. */
const modConvRef = (demodulate: boolean) => ([x, style]: F64[], { kernel }: Record<string, F64>) => {
  const [k, , ci, co] = kernel!.shape as [number, number, number, number];
  const [b, h, w] = x!.shape as [number, number, number, number];
  const c = 1 / Math.sqrt(k * k * ci);
  const samples = Array.from({ length: b }, (_, n) => {
    const wb = f64(kernel!.shape, kernel!.data.map((v, o) => c * v * style!.data[n * ci + (Math.floor(o / co) % ci)]!));
    if (demodulate) {
      for (let o = 0; o < co; o++) {
        let s = 0;
        for (let p = o; p < wb.data.length; p += co) s += wb.data[p]! ** 2;
        for (let p = o; p < wb.data.length; p += co) wb.data[p]! /= Math.sqrt(s + 1e-8);
      }
    }
    const xb = f64([1, h, w, ci], x!.data.subarray(n * h * w * ci, (n + 1) * h * w * ci));
    return conv2dRef(xb, wb, 1, 'same').data;
  });
  return f64([b, h, w, co], samples.flatMap((s) => Array.from(s)));
};

const CASES: LayerCase[] = [
  { name: 'eqDense lrMul 0.01 (mapping network)', spec: { type: 'eqDense', units: 5, lrMul: 0.01 }, inShapes: [[6]], batch: 3, secondOrder: true,
    reference: eqDenseRef(0.01) },
  { name: 'eqDense on [T, F], no bias', spec: { type: 'eqDense', units: 4, bias: false }, inShapes: [[3, 5]], secondOrder: true,
    reference: eqDenseRef(1) },
  { name: 'eqConv2d 3×3 same', spec: { type: 'eqConv2d', filters: 4, kernel: 3 }, inShapes: [[5, 5, 3]], secondOrder: true,
    reference: eqConvRef(1, 'same') },
  { name: 'eqConv2d 4×4 stride 2 valid', spec: { type: 'eqConv2d', filters: 3, kernel: 4, stride: 2, pad: 'valid', bias: false },
    inShapes: [[6, 7, 2]], secondOrder: true, reference: eqConvRef(2, 'valid') },
  { name: 'minibatchStd group 2', spec: { type: 'minibatchStd', group: 2 }, inShapes: [[3, 3, 2]], batch: 4, secondOrder: true,
    reference: minibatchStdRef(2) },
  { name: 'minibatchStd group 4 > batch 2', spec: { type: 'minibatchStd' }, inShapes: [[2, 2, 3]], secondOrder: true, reference: minibatchStdRef(4) },
  { name: 'minibatchStd on features', spec: { type: 'minibatchStd', group: 3 }, inShapes: [[5]], batch: 6, secondOrder: true,
    reference: minibatchStdRef(3) },
  { name: 'noise', spec: { type: 'noise' }, inShapes: [[3, 4, 2]], noise: true, reference: noiseRef },
  { name: 'noise off without a stream', spec: { type: 'noise' }, inShapes: [[3, 4, 2]], reference: noiseRef },
  { name: 'modConv demodulated', spec: { type: 'modConv', filters: 4, kernel: 3 }, inShapes: [[5, 5, 3], [3]], secondOrder: true,
    reference: modConvRef(true) },
  { name: 'modConv 2×2 without demodulation', spec: { type: 'modConv', filters: 2, kernel: 2, demodulate: false }, inShapes: [[4, 3, 3], [3]],
    reference: modConvRef(false) },
];

describe('style layers', () => {
  testCases(CASES, rng);

  it('stores equalized weights N(0, 1/lrMul) and starts noise scales at 0', () => {
    const dense = buildTestLayer({ type: 'eqDense', units: 200, lrMul: 0.01 }, [[100]]);
    const w = dense.params.kernel!.dataSync() as Float32Array;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    assert.ok(Math.abs(std - 100) < 3, `stored std ${std}`);
    disposeLayer(dense);
    const noise = buildTestLayer({ type: 'noise' }, [[4, 4, 3]]);
    assert.deepEqual(Array.from(noise.params.scale!.dataSync()), [0, 0, 0]);
    disposeLayer(noise);
  });

  it('minibatchStd refuses a batch that the group size does not divide', async () => {
    await useProductionEngine();
    const layer = buildTestLayer({ type: 'minibatchStd', group: 4 }, [[2, 2, 1]]);
    const x = tf.zeros([6, 2, 2, 1]);
    assert.throws(() => applyTestLayer(layer, [x], { training: true }), /test\/\d+_minibatchStd: .*batch divisible by the group size 4, got batch 6/);
    x.dispose();
    disposeLayer(layer);
  });

  it('reject inputs they cannot take', () => {
    expectBuildError({ type: 'eqDense', units: 0 }, [[4]], /units to be an integer/);
    expectBuildError({ type: 'eqDense', units: 3, lrMul: 0 }, [[4]], /lrMul > 0, got 0/);
    expectBuildError({ type: 'eqConv2d', filters: 3, kernel: 5, pad: 'valid' }, [[4, 4, 2]], /kernel 5 does not fit/);
    expectBuildError({ type: 'eqConv2d', filters: 3, kernel: 3 }, [[16, 2]], /\[H, W, C\]/);
    expectBuildError({ type: 'minibatchStd', group: 0 }, [[4, 4, 2]], /group to be an integer/);
    expectBuildError({ type: 'noise' }, [[8]], /\[H, W, C\]/);
    expectBuildError({ type: 'modConv', filters: 4, kernel: 3 }, [[4, 4, 3], [4]], /style\) \[Cin\] = \[3\]/);
    expectBuildError({ type: 'modConv', filters: 4, kernel: 3 }, [[4, 3], [3]], /input 0 \(x\) \[H, W, C\]/);
  });
});
