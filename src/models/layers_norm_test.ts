import { describe, it } from 'node:test';
import { Rng } from '../core/rng.ts';
import './layers_norm.ts';
import { expectBuildError, f64, testCases, type F64, type LayerCase } from './layer_testing.ts';

const rng = new Rng(20261203);

/** (x − mean) / sqrt(var + eps) over the elements that share a group key (offset → key). */
function standardizeRef(x: F64, key: (o: number) => number, eps: number): F64 {
  const sum = new Map<number, number>(), sq = new Map<number, number>(), n = new Map<number, number>();
  x.data.forEach((v, o) => {
    const k = key(o);
    sum.set(k, (sum.get(k) ?? 0) + v);
    n.set(k, (n.get(k) ?? 0) + 1);
  });
  const mean = (k: number) => sum.get(k)! / n.get(k)!;
  x.data.forEach((v, o) => sq.set(key(o), (sq.get(key(o)) ?? 0) + (v - mean(key(o))) ** 2));
  return f64(x.shape, x.data.map((v, o) => (v - mean(key(o))) / Math.sqrt(sq.get(key(o))! / n.get(key(o))! + eps)));
}

/** Group keys of a [B, ..., C] tensor: per sample and channel (instance), per sample (layer). */
const perInstance = (x: F64) => {
  const c = x.shape[x.shape.length - 1]!, size = x.data.length / x.shape[0]!;
  return (o: number) => Math.floor(o / size) * c + (o % c);
};
const perSampleKey = (x: F64) => (o: number) => Math.floor(o / (x.data.length / x.shape[0]!));
/** Per-channel gamma, beta applied to y. */
const affineRef = (y: F64, gamma: F64, beta: F64) => {
  const c = gamma.data.length;
  return f64(y.shape, y.data.map((v, o) => v * gamma.data[o % c]! + beta.data[o % c]!));
};

const pixelNormRef = ([x]: F64[]) => {
  const c = x!.shape[x!.shape.length - 1]!;
  const out = f64(x!.shape);
  for (let p = 0; p < x!.data.length; p += c) {
    let ms = 0;
    for (let k = 0; k < c; k++) ms += x!.data[p + k]! ** 2 / c;
    for (let k = 0; k < c; k++) out.data[p + k] = x!.data[p + k]! / Math.sqrt(ms + 1e-8);
  }
  return out;
};

const CASES: LayerCase[] = [
  { name: 'instanceNorm', spec: { type: 'instanceNorm' }, inShapes: [[4, 3, 3]], secondOrder: true,
    reference: ([x]) => standardizeRef(x!, perInstance(x!), 1e-5) },
  { name: 'instanceNorm affine, epsilon 1e-3', spec: { type: 'instanceNorm', affine: true, epsilon: 1e-3 }, inShapes: [[3, 4, 2]], secondOrder: true,
    reference: ([x], { gamma, beta }) => affineRef(standardizeRef(x!, perInstance(x!), 1e-3), gamma!, beta!) },
  { name: 'layerNorm on feature maps', spec: { type: 'layerNorm' }, inShapes: [[3, 3, 4]], secondOrder: true,
    reference: ([x], { gamma, beta }) => affineRef(standardizeRef(x!, perSampleKey(x!), 1e-5), gamma!, beta!) },
  { name: 'layerNorm on vectors', spec: { type: 'layerNorm', epsilon: 1e-4 }, inShapes: [[6]], batch: 3, secondOrder: true,
    reference: ([x], { gamma, beta }) => affineRef(standardizeRef(x!, perSampleKey(x!), 1e-4), gamma!, beta!) },
  { name: 'pixelNorm on feature maps', spec: { type: 'pixelNorm' }, inShapes: [[3, 3, 4]], secondOrder: true, reference: pixelNormRef },
  { name: 'pixelNorm on a latent', spec: { type: 'pixelNorm' }, inShapes: [[8]], batch: 3, secondOrder: true, reference: pixelNormRef },
  { name: 'adain', spec: { type: 'adain' }, inShapes: [[3, 3, 4], [8]], secondOrder: true,
    reference: ([x, style]) => {
      const y = standardizeRef(x!, perInstance(x!), 1e-5);
      const size = x!.data.length / x!.shape[0]!;
      return f64(y.shape, y.data.map((v, o) => {
        const [b, c] = [Math.floor(o / size), o % 4];
        return v * (1 + style!.data[b * 8 + c]!) + style!.data[b * 8 + 4 + c]!;
      }));
    } },
];

describe('norm layers', () => {
  testCases(CASES, rng);

  it('reject inputs they cannot take', () => {
    expectBuildError({ type: 'instanceNorm' }, [[4, 3]], /\[H, W, C\]/);
    expectBuildError({ type: 'instanceNorm' }, [[1, 1, 3]], /single element/);
    expectBuildError({ type: 'instanceNorm', epsilon: 0 }, [[2, 2, 3]], /epsilon > 0, got 0/);
    expectBuildError({ type: 'layerNorm' }, [[1]], /single element/);
    expectBuildError({ type: 'pixelNorm' }, [[]], /channel axis/);
    expectBuildError({ type: 'adain' }, [[4, 4, 3], [3]], /style\) \[2C\] = \[6\]/);
    expectBuildError({ type: 'adain' }, [[4, 4, 3]], /2 inputs/);
  });
});
