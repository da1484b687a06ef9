/**
 * Native kernels for the norm / modulation / resampling layers: Sum and Mean over strided axes (per-sample
 * spatial statistics, broadcast gradients), binary ops with per-sample blocks ([B, 1, 1, C], [B, 1, 1, 1]),
 * Tile and Transpose. Each kernel against the cpu backend on every ISA the machine has, with 1 and 2
 * threads; the layers' values and gradients (first and second order) end to end against cpu.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import '../models/layers.ts';
import { applyTestLayer, buildTestLayer, disposeLayer, relErr, type AnySpec } from '../models/layer_testing.ts';
import { initBackend } from './backend.ts';
import {
  installNativeKernelHook, loadNativeKernels, nativeAddon, nativeKernelsRegistered, unregisterNativeKernels,
} from './native_kernels.ts';

const load = loadNativeKernels({ threads: 1 });
const skip = load.loaded ? false : `native addon not built: ${load.reason}`;
const isas = load.loaded ? nativeAddon()!.info().supportedIsas : [];

const rng = new Rng(20261201);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

interface Case {
  name: string;
  kernel: string;
  inputs: Record<string, { shape: number[]; data: Float32Array | Int32Array; dtype?: 'int32' }>;
  attrs: Record<string, unknown>;
  /** The addon entry point the case must reach. */
  entry: string;
}

const rand = (shape: number[]) => ({ shape, data: rng.uniformArray(size(shape), -1, 1) });

function reduce(kernel: 'Sum' | 'Mean', shape: number[], axis: number[], keepDims: boolean): Case {
  return { name: `${kernel} [${shape}] axes ${axis} keepDims=${keepDims}`, kernel, inputs: { x: rand(shape) }, attrs: { axis, keepDims }, entry: 'reduceStrided' };
}

function binary(kernel: 'Add' | 'Sub' | 'Multiply' | 'RealDiv', a: number[], b: number[]): Case {
  const inputs = { a: rand(a), b: rand(b) };
  // Keep divisors away from zero.
  for (const x of [inputs.a, inputs.b]) if (kernel === 'RealDiv') x.data = x.data.map((v) => v + Math.sign(v) + (v === 0 ? 1 : 0));
  return { name: `${kernel} [${a}] [${b}]`, kernel, inputs, attrs: {}, entry: 'binaryBlock' };
}

function move(kernel: 'Tile' | 'Transpose', shape: number[], attrs: Record<string, unknown>, int = false): Case {
  const x = int ? { shape, data: Int32Array.from(rng.uniformArray(size(shape), -1e6, 1e6), Math.round), dtype: 'int32' as const } : rand(shape);
  return { name: `${kernel} [${shape}] ${JSON.stringify(attrs)}${int ? ' int32' : ''}`, kernel, inputs: { x }, attrs, entry: kernel.toLowerCase() };
}

const CASES: Case[] = [
  // Instance-norm / AdaIN statistics: per (sample, channel) over H, W; odd channel counts hit vector tails.
  ...[false, true].flatMap((keepDims) => [
    reduce('Mean', [64, 32, 32, 64], [1, 2], keepDims),
    reduce('Sum', [64, 32, 32, 64], [1, 2], keepDims),
  ]),
  reduce('Mean', [3, 7, 5, 17], [1, 2], true),
  reduce('Sum', [2, 9, 11, 130], [2, 1], false),
  reduce('Sum', [5, 4, 4, 3], [1, 2], true),
  reduce('Sum', [5, 7, 3], [1], false),
  reduce('Mean', [4, 6, 6, 5], [1, 2, 3], false),
  reduce('Mean', [4, 6, 6, 5], [3], true),
  // Gradients of nearest upsampling (two reduced runs) and of a [B, 1, 1, C] broadcast.
  reduce('Sum', [128, 2, 32, 2, 64], [1, 3], false),
  reduce('Sum', [6, 3, 5, 3, 7], [1, 3], true),
  reduce('Sum', [6, 3, 5, 3], [1, 3], false),
  // Per-sample scales and shifts, both operand orders, per channel and per sample.
  binary('Multiply', [64, 1, 1, 64], [64, 32, 32, 64]),
  binary('Sub', [64, 32, 32, 64], [64, 1, 1, 64]),
  binary('Add', [64, 32, 32, 64], [64, 1, 1, 64]),
  binary('RealDiv', [3, 5, 7, 17], [3, 1, 1, 17]),
  binary('RealDiv', [3, 1, 1, 17], [3, 5, 7, 17]),
  binary('Sub', [3, 1, 1, 1], [3, 5, 7, 9]),
  binary('Multiply', [4, 6, 6, 5], [4, 1, 1, 1]),
  binary('Add', [2, 3, 3, 4, 5], [2, 1, 3, 4, 5]),
  // Tile (tf.broadcastTo of nearest upsampling) and Transposes (bilinear upsampling, conv gradients).
  move('Tile', [128, 1, 32, 1, 64], { reps: [1, 2, 1, 2, 1] }),
  move('Tile', [3, 1, 5, 1, 7], { reps: [2, 3, 1, 3, 2] }),
  move('Tile', [4, 1], { reps: [1, 9] }),
  move('Tile', [5, 3], { reps: [2, 1] }, true),
  move('Transpose', [64, 64, 32, 32], { perm: [0, 2, 3, 1] }),
  move('Transpose', [64, 32, 32, 64], { perm: [0, 3, 1, 2] }),
  move('Transpose', [16, 64, 64, 32], { perm: [0, 1, 3, 2] }),
  move('Transpose', [16, 64, 48, 40], { perm: [0, 3, 2, 1] }),
  move('Transpose', [3, 5, 7, 9, 2], { perm: [4, 2, 0, 3, 1] }),
  move('Transpose', [33, 17], { perm: [1, 0] }, true),
  move('Transpose', [2, 3, 4], { perm: [1, 0, 2] }),
  move('Transpose', [1, 5, 1, 3], { perm: [3, 2, 1, 0] }),
];

async function runOn(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array | Int32Array> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) inputs[k] = tf.tensor(v.data, v.shape, v.dtype);
    return tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
  });
  const data = out.dataSync() as Float32Array | Int32Array;
  out.dispose();
  return data;
}

const bytes = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Layers whose forward + backward the new kernels serve, at a size the cpu backend runs quickly. */
const LAYERS: Array<{ spec: AnySpec; style: number; secondOrder?: boolean }> = [
  { spec: { type: 'instanceNorm', affine: true }, style: 0, secondOrder: true },
  { spec: { type: 'adain' }, style: 2 * 64 },
  { spec: { type: 'modConv', filters: 24, kernel: 3 }, style: 64 },
  { spec: { type: 'upsample', factor: 2, mode: 'nearest' }, style: 0 },
  { spec: { type: 'upsample', factor: 2, mode: 'bilinear' }, style: 0 },
];
// 2^17 elements: the size from which the kernels split work between threads.
const X_SHAPE = [8, 16, 16, 64];

/** Output, gradients of Σ r·out wrt inputs and parameters, and (secondOrder) of the penalty Σ(∇ₓ Σ r·out)². */
async function layerProbe(backend: 'cpu' | 'wasm', layer: ReturnType<typeof buildTestLayer>, inputs: Float32Array[],
  shapes: number[][], r: Float32Array, secondOrder: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(() => {
    const xs = inputs.map((d, i) => tf.tensor(d, shapes[i]));
    const rt = tf.tensor(r, [X_SHAPE[0]!, ...layer.outShape]);
    const wrt = [...xs, ...Object.values(layer.params)];
    const loss = (twice: boolean) => () => tf.sum(tf.mul(applyTestLayer(layer, xs, { training: true, twiceDifferentiable: twice }), rt)) as tf.Scalar;
    const out = applyTestLayer(layer, xs, { training: true });
    // Zeros for what the objective does not depend on (beta, under the penalty).
    const grads = (f: () => tf.Scalar, of: tf.Tensor[]) =>
      tf.engine().gradients(f, of, undefined, true).grads.map((g, i) => g ?? tf.zerosLike(of[i]!));
    const first = grads(loss(false), wrt);
    if (!secondOrder) return [out, ...first];
    // A gradient-penalty-shaped objective: the gradient of ‖∇ₓ loss‖² wrt everything.
    const penalty = () => tf.sum(tf.square(grads(loss(true), [xs[0]!])[0]!)) as tf.Scalar;
    return [out, ...first, ...grads(penalty, wrt)];
  });
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
  return data;
}

/** Wraps the addon's entry points so that `into` counts their calls (to check a case ran natively). */
function countCalls(names: string[], into: Map<string, number>): void {
  const addon = nativeAddon()! as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [name, f] of names.map((n) => [n, addon[n]!] as const)) {
    addon[name] = (...args: unknown[]) => (into.set(name, (into.get(name) ?? 0) + 1), f(...args));
  }
}

describe('native spatial kernels', { skip }, () => {
  const reference = new Map<string, Float32Array | Int32Array>();
  const calls = new Map<string, number>();
  interface LayerRun { spec: AnySpec; shapes: number[][]; secondOrder: boolean; seed: number; inputs: Float32Array[]; r: Float32Array; want: Float32Array[] }
  const layers = LAYERS.map(({ spec, style, secondOrder }, i): LayerRun => {
    const shapes = style ? [X_SHAPE, [X_SHAPE[0]!, style]] : [X_SHAPE];
    return { spec, shapes, secondOrder: secondOrder ?? false, seed: 11 + i, inputs: [], r: new Float32Array(), want: [] };
  });
  const built: Array<ReturnType<typeof buildTestLayer>> = [];

  before(async () => {
    countCalls(['reduceStrided', 'binaryBlock', 'tile', 'transpose'], calls);
    installNativeKernelHook();
    await initBackend('wasm', { quiet: true });
    assert.ok(nativeKernelsRegistered());
    for (const c of CASES) reference.set(c.name, await runOn('cpu', c));
    for (const l of layers) {
      const layer = buildTestLayer(l.spec, l.shapes.map((s) => s.slice(1)), { seed: l.seed });
      built.push(layer);
      const pr = new Rng(l.seed);
      for (const v of Object.values(layer.params)) tf.tidy(() => v.assign(tf.tensor(pr.normalArray(v.size, 0.3, 0.7), v.shape)));
      l.inputs = l.shapes.map((s) => pr.normalArray(size(s), 0, 1));
      l.r = pr.normalArray(X_SHAPE[0]! * size(layer.outShape));
      l.want = await layerProbe('cpu', layer, l.inputs, l.shapes, l.r, l.secondOrder);
    }
  });

  after(async () => {
    built.forEach(disposeLayer);
    unregisterNativeKernels();
    loadNativeKernels({ threads: 0 });
    await tf.setBackend('cpu');
  });

  for (const isa of isas) {
    for (const threads of [1, 2]) {
      const label = `${isa}, ${threads} thread${threads > 1 ? 's' : ''}`;
      it(`match the cpu backend kernel by kernel (${label})`, async () => {
        assert.equal(loadNativeKernels({ threads, isa }).isa, isa);
        const failures: string[] = [];
        for (const c of CASES) {
          calls.clear();
          const got = await runOn('wasm', c);
          if (!calls.get(c.entry)) failures.push(`${c.name}: did not run natively (${c.entry})`);
          const want = reference.get(c.name)!;
          // Tile and Transpose are copies: bit-identical.
          if (c.entry === 'tile' || c.entry === 'transpose') {
            if (bytes(got).compare(bytes(want)) !== 0) failures.push(`${c.name}: not bit-identical`);
          } else {
            const err = relErr(got, want);
            if (!(err < 1e-5)) failures.push(`${c.name}: relative error ${err.toExponential(2)}`);
          }
        }
        assert.deepEqual(failures, []);
      });

      it(`give the layers' values and gradients of the cpu backend (${label})`, async () => {
        loadNativeKernels({ threads, isa });
        calls.clear();
        const failures: string[] = [];
        for (const [i, l] of layers.entries()) {
          const got = await layerProbe('wasm', built[i]!, l.inputs, l.shapes, l.r, l.secondOrder);
          assert.equal(got.length, l.want.length);
          got.forEach((g, k) => {
            const err = relErr(g, l.want[k]!);
            if (!(err < 1e-4)) failures.push(`${JSON.stringify(l.spec)} output ${k}: relative error ${err.toExponential(2)}`);
          });
        }
        assert.deepEqual(failures, []);
        assert.deepEqual([...calls.keys()].sort(), ['binaryBlock', 'reduceStrided', 'tile', 'transpose']);
      });
    }
  }

  it('give bit-identical results for 1 and 2 threads', async () => {
    for (const c of CASES.filter((k) => k.entry === 'reduceStrided' || k.entry === 'binaryBlock')) {
      loadNativeKernels({ threads: 1 });
      const one = await runOn('wasm', c);
      loadNativeKernels({ threads: 2 });
      const two = await runOn('wasm', c);
      assert.ok(bytes(one).equals(bytes(two)), `${c.name}: 1 and 2 threads differ`);
    }
  });

  it('leave other broadcasts and dtypes to wasm', async () => {
    loadNativeKernels({ threads: 2 });
    await tf.setBackend('wasm');
    calls.clear();
    const out = tf.tidy(() => [
      tf.mul(tf.ones([6, 1]), tf.ones([1, 5])), // neither operand full
      tf.sum(tf.ones([2, 3, 4, 5, 6, 7]), [0, 2, 4]), // three reduced runs
      tf.sum(tf.ones([3, 4], 'int32'), 1),
      tf.tile(tf.tensor([true, false], [2], 'bool'), [3]),
      tf.transpose(tf.tensor([true, false, true, true, false, false], [2, 3], 'bool')),
    ]);
    assert.deepEqual(out.map((t) => t.shape), [[6, 5], [3, 5, 7], [3], [6], [3, 2]]);
    assert.deepEqual(Array.from(out[1]!.dataSync()).slice(0, 2), [48, 48]);
    tf.dispose(out);
    assert.deepEqual([...calls.keys()], []);
  });

  it('reject bad shapes with clear errors', () => {
    const native = nativeAddon()!;
    const heap = new ArrayBuffer(256);
    assert.throws(() => native.transpose(heap, 0, 128, [2, 3], [0, 0]), /perm must be a permutation/);
    assert.throws(() => native.tile(heap, 0, 128, [2, 3], [1]), /one entry per axis/);
    assert.throws(() => native.tile(heap, 0, 128, [4, 4], [2, 2]), /run past the heap/);
    assert.throws(() => native.reduceStrided(heap, 0, 128, 2, 4, 1, 1, 0, 1), /invalid outer/);
    assert.throws(() => native.binaryBlock(heap, 2, 0, 64, false, 128, 12, 5, 2), /invalid op, n, span or cols/);
  });
});
