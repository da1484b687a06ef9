/**
 * Gantry's wasm kernels against the `cpu` backend on fresh random inputs.
 * relErr(a, b) = max|a − b| / max(1e-6, max|b|), with b the cpu reference; kernels must reach < 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from './backend.ts';
import { stockWasmKernel } from './wasm_kernels.ts';
import { Rng } from '../core/rng.ts';

await initBackend('wasm', { quiet: true });
const rng = new Rng(20261122);

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'compared arrays differ in length');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(1e-6, scale);
}

const sizeOf = (shape: number[]) => shape.reduce((p, q) => p * q, 1);

/** Runs one kernel on a backend from plain arrays and returns its output values and shape. */
function runOn(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, [Float32Array, number[]]>, attrs: object) {
  tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, [values, shape]] of Object.entries(inputs)) tensors[name] = tf.tensor(values, shape);
      const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
      return { values: out.dataSync() as Float32Array, shape: out.shape };
    });
  } finally {
    tf.setBackend('wasm');
  }
}

function compareKernel(kernel: string, inputs: Record<string, [Float32Array, number[]]>, attrs: object, label: string) {
  const wasm = runOn('wasm', kernel, inputs, attrs);
  const cpu = runOn('cpu', kernel, inputs, attrs);
  assert.deepEqual(wasm.shape, cpu.shape, `${label}: output shape`);
  const err = relErr(wasm.values, cpu.values);
  assert.ok(err < 1e-4, `${label}: relErr ${err.toExponential(2)} ≥ 1e-4`);
  return err;
}

const random = (shape: number[]) => rng.normalArray(sizeOf(shape));
type Pad = 'same' | 'valid' | backend_util.ExplicitPadding;

/** Conv configurations: strides 1–3 (and a non-square one), kernels 1–5, same/valid/explicit pads. */
function convCases(): { x: number[]; k: [number, number]; co: number; stride: [number, number]; pad: Pad }[] {
  const cases: ReturnType<typeof convCases> = [];
  const shapes = [[2, 9, 7, 3], [1, 6, 8, 6], [3, 5, 11, 2]];
  let i = 0;
  for (const stride of [1, 2, 3]) {
    for (const k of [1, 2, 3, 4, 5]) {
      for (const pad of ['same', 'valid'] as const) {
        const x = shapes[i++ % shapes.length]!;
        if (pad === 'valid' && (k > x[1]! || k > x[2]!)) continue;
        cases.push({ x, k: [k, k], co: 2 + (i % 4), stride: [stride, stride], pad });
      }
    }
  }
  cases.push({ x: [2, 10, 9, 5], k: [3, 5], co: 3, stride: [1, 2], pad: 'same' });
  cases.push({ x: [2, 10, 9, 6], k: [4, 2], co: 4, stride: [2, 3], pad: 'valid' });
  cases.push({ x: [2, 8, 7, 5], k: [3, 3], co: 4, stride: [2, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] });
  cases.push({ x: [1, 7, 7, 3], k: [2, 2], co: 2, stride: [3, 3], pad: [[0, 0], [3, 0], [0, 2], [0, 0]] });
  return cases;
}

function convOutShape(c: ReturnType<typeof convCases>[number]): number[] {
  const info = backend_util.computeConv2DInfo(c.x as [number, number, number, number],
    [c.k[0], c.k[1], c.x[3]!, c.co], c.stride, 1, c.pad);
  return info.outShape;
}

test('Conv2DBackpropFilter matches cpu (strides 1–3, kernels 1–5, same/valid/explicit, non-square)', () => {
  assert.equal(stockWasmKernel('Conv2DBackpropFilter'), undefined, 'stock wasm has no Conv2DBackpropFilter');
  let worst = 0;
  for (const c of convCases()) {
    const dyShape = convOutShape(c);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k[0], c.k[1], c.x[3], c.co] };
    const label = `dW x=[${c.x}] k=${c.k} s=${c.stride} pad=${JSON.stringify(c.pad)}`;
    worst = Math.max(worst, compareKernel('Conv2DBackpropFilter', { x: [random(c.x), c.x], dy: [random(dyShape), dyShape] }, attrs, label));
  }
  assert.ok(worst < 1e-4);
});

test('Conv2DBackpropInput matches cpu on both paths (phase convs for > 4 channels, col2im for ≤ 4)', () => {
  for (const c of convCases()) {
    for (const ci of [c.x[3]!, 1, 7]) {
      const x = [c.x[0]!, c.x[1]!, c.x[2]!, ci];
      const dyShape = convOutShape({ ...c, x });
      const filterShape = [c.k[0], c.k[1], ci, c.co];
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: x };
      const label = `dx x=[${x}] k=${c.k} s=${c.stride} pad=${JSON.stringify(c.pad)}`;
      compareKernel('Conv2DBackpropInput', { dy: [random(dyShape), dyShape], filter: [random(filterShape), filterShape] }, attrs, label);
    }
  }
});

test('conv2dTranspose (DCGAN shapes, k4 s2 same) matches cpu', () => {
  for (const [inShape, outShape] of [[[2, 7, 7, 16], [2, 14, 14, 8]], [[2, 14, 14, 8], [2, 28, 28, 1]], [[2, 4, 4, 8], [2, 8, 8, 3]]]) {
    const filterShape = [4, 4, outShape![3]!, inShape![3]!];
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: outShape };
    compareKernel('Conv2DBackpropInput', { dy: [random(inShape!), inShape!], filter: [random(filterShape), filterShape] }, attrs,
      `convT [${inShape}] → [${outShape}]`);
  }
});

test('BatchMatMul with transposeA / transposeB matches cpu, including unit and batch dimensions', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[6, 1], [6, 4], true, false],
    [[4, 1], [9, 1], false, true],
    [[1, 9], [1, 9], false, true],
    [[2, 5, 7], [2, 3, 7], false, true],
    [[3, 7, 5], [1, 7, 4], true, false],
  ];
  for (const [a, b, transposeA, transposeB] of cases) {
    compareKernel('BatchMatMul', { a: [random(a), a], b: [random(b), b] }, { transposeA, transposeB },
      `matMul [${a}]${transposeA ? 'ᵀ' : ''} × [${b}]${transposeB ? 'ᵀ' : ''}`);
  }
  // The same buffer as `b` under two shapes must not hit a stale cached XNNPACK operator.
  tf.tidy(() => {
    const w = tf.tensor(random([6, 1]), [6, 1]);
    const y1 = tf.matMul(tf.ones([2, 6]), w);
    const y2 = tf.matMul(tf.ones([2, 1]), w, false, true);
    assert.deepEqual(y1.shape, [2, 1]);
    assert.deepEqual(y2.shape, [2, 6]);
    const wv = w.dataSync();
    const sum = Array.from(wv).reduce((p, q) => p + q, 0);
    assert.ok(Math.abs(y1.dataSync()[0]! - sum) < 1e-5);
    assert.ok(relErr(y2.dataSync().slice(0, 6), wv) < 1e-6);
  });
});

test('Identity shares the buffer and Cast still converts between dtypes', () => {
  tf.tidy(() => {
    const x = tf.tensor([1.5, -2.25, 3]);
    const c = tf.clone(x);
    const wasm = tf.backend() as BackendWasm;
    assert.equal(wasm.dataIdMap.get(c.dataId)!.memoryOffset, wasm.dataIdMap.get(x.dataId)!.memoryOffset);
    x.dispose();
    assert.deepEqual(Array.from(c.dataSync()), [1.5, -2.25, 3], 'a clone outlives its source');
    assert.deepEqual(Array.from(tf.cast(c, 'int32').dataSync()), [1, -2, 3]);
    assert.deepEqual(Array.from(tf.cast(tf.tensor([1, 0, 2], undefined, 'int32'), 'bool').dataSync()), [1, 0, 1]);
    assert.equal(tf.cast(c, 'float32').dtype, 'float32');
  });
});

test('kernels free every intermediate wasm buffer', () => {
  const wasm = tf.backend() as BackendWasm;
  const run = () => tf.tidy(() => {
    const x = tf.tensor(random([2, 9, 9, 6]), [2, 9, 9, 6]) as tf.Tensor4D;
    const f = tf.tensor(random([4, 4, 6, 5]), [4, 4, 6, 5]) as tf.Tensor4D;
    const f1 = tf.tensor(random([3, 3, 2, 5]), [3, 3, 2, 5]) as tf.Tensor4D;
    const y = tf.conv2d(x, f, 2, 'same');
    tf.conv2dTranspose(y, f, [2, 9, 9, 6], 2, 'same').dataSync();
    tf.conv2dTranspose(y, f1, [2, 9, 9, 2], 2, 'same').dataSync();
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 3], 'valid')))([x, f]);
    tf.matMul(tf.ones([3, 4]), tf.ones([5, 4]), false, true).dataSync();
    tf.sum(tf.mean(x, [0, 1, 2]), 0).dataSync();
    tf.tile(f1, [1, 2, 1, 2]).dataSync();
    tf.cast(tf.clone(x), 'bool').dataSync();
  });
  run();
  const tensors = tf.memory().numTensors;
  const buffers = wasm.numDataIds();
  for (let i = 0; i < 3; i++) run();
  assert.equal(tf.memory().numTensors, tensors, 'tensor count grew');
  assert.equal(wasm.numDataIds(), buffers, 'wasm buffer count grew');
});

test('Sum and Mean over merged axes match cpu (leading, trailing, mixed, keepDims, unit axes)', () => {
  const cases: [number[], number[]][] = [
    [[4, 5, 6, 3], [0, 1, 2]],
    [[4, 5, 6, 3], [1, 2]],
    [[4, 5, 6, 3], [0, 2]],
    [[4, 1, 6, 3], [0, 2]],
    [[4, 5, 1, 3], [3]],
    [[2, 3, 4, 5], [0, 1, 2, 3]],
    [[7, 9], [0]],
  ];
  for (const [shape, axis] of cases) {
    for (const kernel of ['Sum', 'Mean']) {
      for (const keepDims of [false, true]) {
        compareKernel(kernel, { x: [random(shape), shape] }, { axis, keepDims }, `${kernel} [${shape}] axes [${axis}] keepDims=${keepDims}`);
      }
    }
  }
  tf.tidy(() => {
    const ints = tf.tensor([1, 2, 3, 4, 5, 6], [3, 1, 2], 'int32');
    const total = tf.sum(ints, [0, 1]);
    assert.equal(total.dtype, 'int32');
    assert.deepEqual(Array.from(total.dataSync()), [9, 12]);
  });
});

test('Tile (and broadcastTo) matches cpu for float32, int32 and bool', () => {
  const cases: [number[], number[]][] = [
    [[5], [3]], [[2, 3], [3, 2]], [[1, 1, 1, 4], [3, 5, 6, 1]], [[3, 4, 5, 1], [1, 1, 1, 3]],
    [[2, 1, 3], [2, 4, 1]], [[2, 3, 2, 2, 3], [2, 1, 3, 1, 2]], [[3, 2], [1, 1]],
  ];
  for (const [shape, reps] of cases) {
    compareKernel('Tile', { x: [random(shape), shape] }, { reps }, `tile [${shape}] × [${reps}]`);
  }
  tf.tidy(() => {
    const ints = tf.tile(tf.tensor([1, -2, 3], [3, 1], 'int32'), [2, 2]);
    assert.equal(ints.dtype, 'int32');
    assert.deepEqual(Array.from(ints.dataSync()), [1, 1, -2, -2, 3, 3, 1, 1, -2, -2, 3, 3]);
    const bools = tf.tile(tf.tensor([true, false], [2], 'bool'), [3]);
    assert.deepEqual(Array.from(bools.dataSync()), [1, 0, 1, 0, 1, 0]);
    const broadcast = tf.broadcastTo(tf.tensor([1, 2], [1, 2]), [3, 2]);
    assert.deepEqual(Array.from(broadcast.dataSync()), [1, 2, 1, 2, 1, 2]);
  });
});
