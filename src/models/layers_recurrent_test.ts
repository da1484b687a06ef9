import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../core/rng.ts';
import './layers_recurrent.ts';
import { at, expectBuildError, f64, testCases, type F64, type LayerCase } from './layer_testing.ts';

const rng = new Rng(20261202);
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** The GRU in float64, step by step; `ids` (optional) masks padding steps (id 0). */
function gruRef(units: number, output: 'last' | 'sequence') {
  return ([x, ids]: F64[], { kernel, recurrent, bias }: Record<string, F64>): F64 => {
    const [b, t, d] = x!.shape as [number, number, number];
    const h = units;
    const out = f64(output === 'last' ? [b, h] : [b, t, h]);
    for (let n = 0; n < b; n++) {
      let state = new Float64Array(h);
      for (let s = 0; s < t; s++) {
        const pre = new Float64Array(3 * h);
        const rec = new Float64Array(3 * h);
        for (let j = 0; j < 3 * h; j++) {
          let acc = at(bias!, j);
          for (let k = 0; k < d; k++) acc += at(x!, n, s, k) * at(kernel!, k, j);
          pre[j] = acc;
          let r = 0;
          for (let k = 0; k < h; k++) r += state[k]! * at(recurrent!, k, j);
          rec[j] = r;
        }
        const next = new Float64Array(h);
        for (let j = 0; j < h; j++) {
          const z = sigmoid(pre[j]! + rec[j]!);
          const r = sigmoid(pre[h + j]! + rec[h + j]!);
          const cand = Math.tanh(pre[2 * h + j]! + r * rec[2 * h + j]!);
          next[j] = (1 - z) * cand + z * state[j]!;
        }
        if (!ids || at(ids, n, s) !== 0) state = next;
        if (output === 'sequence') for (let j = 0; j < h; j++) out.data[(n * t + s) * h + j] = state[j]!;
      }
      if (output === 'last') for (let j = 0; j < h; j++) out.data[n * h + j] = state[j]!;
    }
    return out;
  };
}

const CASES: LayerCase[] = [
  { name: 'gru, last state', spec: { type: 'gru', units: 3 }, inShapes: [[4, 2]], batch: 2, reference: gruRef(3, 'last') },
  { name: 'gru, every state', spec: { type: 'gru', units: 2, output: 'sequence' }, inShapes: [[3, 3]], batch: 2, reference: gruRef(2, 'sequence') },
  // Ids in [0, 3): about a third of the steps are padding and keep the state.
  { name: 'gru with padding ids', spec: { type: 'gru', units: 3 }, inShapes: [[5, 2], [5]], ids: { 1: 3 }, batch: 3, reference: gruRef(3, 'last') },
  { name: 'reparameterize (conditioning augmentation)', spec: { type: 'reparameterize' }, inShapes: [[6], [3]], batch: 4,
    reference: ([stats, eps]) => {
      const out = f64([4, 3]);
      for (let n = 0; n < 4; n++) for (let j = 0; j < 3; j++) out.data[n * 3 + j] = at(stats!, n, j) + Math.exp(0.5 * at(stats!, n, 3 + j)) * at(eps!, n, j);
      return out;
    } },
];

describe('recurrent layers', () => {
  testCases(CASES, rng);

  it('reject inputs they cannot take', () => {
    expectBuildError({ type: 'gru', units: 3 }, [[4]], /sequence \[T, D\]/);
    expectBuildError({ type: 'gru', units: 3 }, [[4, 2], [5]], /token ids must be \[4\]/);
    expectBuildError({ type: 'gru', units: 0 }, [[4, 2]], /units/);
    expectBuildError({ type: 'gru', units: 2, output: 'all' }, [[4, 2]], /output must be 'last' or 'sequence'/);
    expectBuildError({ type: 'reparameterize' }, [[6], [2]], /statistics \[2c\].*got \[6\] and \[2\]/);
  });

  it('padding after the last token leaves the last state unchanged', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { buildTestLayer, applyTestLayer, disposeLayer } = await import('./layer_testing.ts');
    const layer = buildTestLayer({ type: 'gru', units: 4 }, [[6, 3], [6]]);
    const x = tf.randomNormal([1, 6, 3], 0, 1, 'float32', 5);
    const short = applyTestLayer(layer, [tf.slice(x, [0, 0, 0], [1, 6, 3]), tf.tensor2d([[4, 7, 2, 0, 0, 0]], [1, 6], 'int32')], { training: false });
    const three = buildTestLayer({ type: 'gru', units: 4 }, [[3, 3]]);
    for (const k of Object.keys(layer.params)) three.params[k]!.assign(layer.params[k]!);
    const direct = applyTestLayer(three, [tf.slice(x, [0, 0, 0], [1, 3, 3])], { training: false });
    assert.ok(tf.max(tf.abs(tf.sub(short, direct))).dataSync()[0]! < 1e-6);
    tf.dispose([x, short, direct]);
    disposeLayer(layer);
    disposeLayer(three);
  });
});
