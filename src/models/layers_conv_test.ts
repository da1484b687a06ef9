import { describe, it } from 'node:test';
import { Rng } from '../core/rng.ts';
import './layers_basic.ts';
import { at, expectBuildError, fill4, testCases, type F64, type LayerCase } from './layer_testing.ts';

const rng = new Rng(20261202);

/** conv2d with p zeros on every side (PyTorch's padding=p): kernel [k, k, Cin, Cout]. */
const convRef = (stride: number, pad: number) => ([x]: F64[], { kernel, bias }: Record<string, F64>) => {
  const [b, h, w, ci] = x!.shape as [number, number, number, number];
  const [k, , , co] = kernel!.shape as [number, number, number, number];
  const out = (n: number) => Math.floor((n + 2 * pad - k) / stride) + 1;
  return fill4([b, out(h), out(w), co], (n, i, j, o) => {
    let s = bias ? bias.data[o]! : 0;
    for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
      const [r, c] = [i * stride + ki - pad, j * stride + kj - pad];
      if (r < 0 || c < 0 || r >= h || c >= w) continue;
      for (let q = 0; q < ci; q++) s += at(x!, n, r, c, q) * at(kernel!, ki, kj, q, o);
    }
    return s;
  });
};

/** PyTorch's ConvTranspose2d: out[o] = Σ x[i]·w[t] over o = i·stride + t − pad; kernel [k, k, Cout, Cin]. */
const convTRef = (stride: number, pad: number, outputPadding: number) => ([x]: F64[], { kernel, bias }: Record<string, F64>) => {
  const [b, h, w] = x!.shape as [number, number, number, number];
  const [k, , co, ci] = kernel!.shape as [number, number, number, number];
  const out = (n: number) => (n - 1) * stride + k - 2 * pad + outputPadding;
  const y = fill4([b, out(h), out(w), co], (_n, _i, _j, o) => (bias ? bias.data[o]! : 0));
  const [oh, ow] = [out(h), out(w)];
  for (let n = 0; n < b; n++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    for (let ki = 0; ki < k; ki++) for (let kj = 0; kj < k; kj++) {
      const [r, c] = [i * stride + ki - pad, j * stride + kj - pad];
      if (r < 0 || c < 0 || r >= oh || c >= ow) continue;
      for (let o = 0; o < co; o++) {
        let s = 0;
        for (let q = 0; q < ci; q++) s += at(x!, n, i, j, q) * at(kernel!, ki, kj, o, q);
        y.data[((n * oh + r) * ow + c) * co + o]! += s;
      }
    }
  }
  return y;
};

const CASES: LayerCase[] = [
  { name: 'conv2d 4×4 stride 1 pad 1 (PatchGAN head)', spec: { type: 'conv2d', filters: 3, kernel: 4, stride: 1, pad: 1 }, inShapes: [[5, 5, 2]], reference: convRef(1, 1) },
  { name: 'conv2d 3×3 stride 2 pad 1', spec: { type: 'conv2d', filters: 3, kernel: 3, stride: 2, pad: 1 }, inShapes: [[6, 6, 2]], reference: convRef(2, 1) },
  { name: 'conv2dTranspose 3×3 stride 2 pad 1 outputPadding 1', spec: { type: 'conv2dTranspose', filters: 3, kernel: 3, stride: 2, pad: 1, outputPadding: 1 }, inShapes: [[3, 4, 2]], reference: convTRef(2, 1, 1) },
  { name: 'conv2dTranspose 4×4 stride 2 pad 1', spec: { type: 'conv2dTranspose', filters: 2, kernel: 4, stride: 2, pad: 1 }, inShapes: [[3, 3, 2]], reference: convTRef(2, 1, 0) },
];

describe('conv layers with numeric (PyTorch) padding', () => {
  testCases(CASES, rng);

  it('reject paddings they cannot take', () => {
    expectBuildError({ type: 'conv2d', filters: 2, kernel: 3, stride: 1, pad: -1 }, [[4, 4, 1]], /pad must be/);
    expectBuildError({ type: 'conv2d', filters: 2, kernel: 3, stride: 1, pad: 'full' }, [[4, 4, 1]], /pad must be/);
    expectBuildError({ type: 'conv2dTranspose', filters: 2, kernel: 3, stride: 2, outputPadding: 1 }, [[4, 4, 1]], /needs a numeric pad/);
    expectBuildError({ type: 'conv2dTranspose', filters: 2, kernel: 3, stride: 2, pad: 1, outputPadding: 2 }, [[4, 4, 1]], /outputPadding an integer in \[0, stride\)/);
  });
});
