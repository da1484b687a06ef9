import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../core/rng.ts';
import { initBackend } from './backend.ts';
import { batchNormTraining, instanceNormFused } from './batch_norm.ts';
import { prelu } from './prelu.ts';
import {
  installNativeKernelHook, loadNativeKernels, nativeAddon, nativeKernelsRegistered, unregisterNativeKernels,
} from './native_kernels.ts';

const load = loadNativeKernels({ threads: 1 });
const missing = load.loaded ? null : `native kernels unavailable: ${load.reason}`;
// CI installs with `npm ci`, which builds the addon: there a missing addon is a failure, not a skipped suite.
const inCi = process.env.CI === 'true';
const isas = load.loaded ? nativeAddon()!.info().supportedIsas : [];

type Inputs = Record<string, { shape: number[]; data: Float32Array }>;
interface Case {
  name: string;
  kernel: string;
  inputs: Inputs;
  attrs: Record<string, unknown>;
}

const rng = new Rng(20261123);
const rand = (shape: number[]) => ({ shape, data: rng.uniformArray(shape.reduce((a, b) => a * b, 1), -1, 1) });

function conv(name: string, x: number[], f: number[], strides: number, pad: 'same' | 'valid', dilations = 1): Case[] {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], f as [number, number, number, number],
    strides, dilations, pad);
  const cases: Case[] = [
    { name: `${name} conv2d`, kernel: 'Conv2D', inputs: { x: rand(x), filter: rand(f) },
      attrs: { strides, pad, dilations, dataFormat: 'NHWC' } },
  ];
  if (dilations === 1) {
    cases.push(
      { name: `${name} backprop input`, kernel: 'Conv2DBackpropInput', inputs: { dy: rand(info.outShape), filter: rand(f) },
        attrs: { strides, pad, dataFormat: 'NHWC', inputShape: x } },
      { name: `${name} backprop filter`, kernel: 'Conv2DBackpropFilter', inputs: { x: rand(x), dy: rand(info.outShape) },
        attrs: { strides, pad, dataFormat: 'NHWC', filterShape: f } },
    );
  }
  return cases;
}

function matmul(name: string, a: number[], b: number[], transposeA = false, transposeB = false): Case {
  return { name: `${name} matmul tA=${transposeA} tB=${transposeB}`, kernel: 'BatchMatMul',
    inputs: { a: rand(a), b: rand(b) }, attrs: { transposeA, transposeB } };
}

function reduce(kernel: 'Sum' | 'Mean', shape: number[], axis: number | number[], keepDims = false): Case {
  return { name: `${kernel} [${shape}] axis ${axis} keepDims=${keepDims}`, kernel, inputs: { x: rand(shape) }, attrs: { axis, keepDims } };
}

function binary(kernel: 'Add' | 'Sub' | 'Multiply' | 'RealDiv', a: number[], b: number[]): Case {
  const inputs = { a: rand(a), b: rand(b) };
  // Keep divisors away from zero.
  if (kernel === 'RealDiv') inputs.b.data = inputs.b.data.map((v) => v + Math.sign(v) + (v === 0 ? 1 : 0));
  return { name: `${kernel} [${a}] [${b}]`, kernel, inputs, attrs: {} };
}

function unary(kernel: string, shape: number[], attrs: Record<string, unknown> = {}, positive = false): Case {
  const x = rand(shape);
  if (positive) x.data = x.data.map((v) => Math.abs(v) + 0.01);
  return { name: `${kernel} [${shape}]`, kernel, inputs: { x }, attrs };
}

const CASES: Case[] = [
  // DCGAN-MNIST: D convs, G transposed convs (= backprop input), both gradients. The cpu backend
  // takes seconds per 64-image D2 layer, so that one is checked at batch 3.
  ...conv('mnist D1', [64, 28, 28, 1], [4, 4, 1, 64], 2, 'same'),
  ...conv('mnist D2', [3, 14, 14, 64], [4, 4, 64, 128], 2, 'same'),
  // DCGAN-CIFAR layer sizes (batch 1), incl. the final 4x4 valid conv to one logit.
  ...conv('cifar D1', [1, 32, 32, 3], [4, 4, 3, 64], 2, 'same'),
  ...conv('cifar D3', [1, 8, 8, 128], [4, 4, 128, 256], 2, 'same'),
  ...conv('cifar D4', [2, 4, 4, 256], [4, 4, 256, 1], 1, 'valid'),
  // Odd sizes, strides 1/2/3, kernels 1-5, dilation.
  ...conv('odd k3 s1', [1, 9, 11, 3], [3, 3, 3, 5], 1, 'same'),
  ...conv('odd k3 s2 valid', [3, 9, 10, 20], [3, 3, 20, 18], 2, 'valid'),
  ...conv('odd k5 s2', [1, 13, 13, 17], [5, 5, 17, 19], 2, 'same'),
  ...conv('odd k1', [2, 7, 7, 16], [1, 1, 16, 24], 1, 'same'),
  ...conv('odd k2 s3', [2, 10, 11, 18], [2, 2, 18, 7], 3, 'same'),
  ...conv('odd k4 s2 ci33', [1, 15, 15, 33], [4, 4, 33, 9], 2, 'same'),
  ...conv('dilated k3', [1, 12, 12, 4], [3, 3, 4, 6], 1, 'same', 2),
  // Few output channels (the forward pass gathers per-tap GEMM columns): SRResNet's 9x9 RGB tail, a
  // stride-2 one, and a wide image whose columns are computed in bands of output rows.
  ...conv('srgan tail k9 co3', [2, 20, 18, 64], [9, 9, 64, 3], 1, 'same'),
  ...conv('few out k5 s2 co2', [2, 11, 13, 16], [5, 5, 16, 2], 2, 'same'),
  ...conv('few out banded k9 co4', [1, 14, 1000, 8], [9, 9, 8, 4], 1, 'same'),
  // MLP and dense-layer sizes.
  matmul('dense G', [64, 100], [100, 6272]),
  matmul('dense G grad W', [64, 100], [64, 6272], true, false),
  matmul('dense D grad x', [64, 1], [6272, 1], false, true),
  matmul('dense D', [64, 6272], [6272, 1]),
  matmul('mlp', [64, 784], [784, 256]),
  ...[false, true].flatMap((ta) => [false, true].map((tb) =>
    matmul('odd', ta ? [17, 13] : [13, 17], tb ? [19, 17] : [17, 19], ta, tb))),
  matmul('batched', [3, 5, 7], [3, 7, 9]),
  matmul('broadcast', [1, 5, 7], [4, 7, 9]),
  matmul('broadcast rank', [2, 3, 6, 5], [5, 4]),
  // Batch-norm statistics and bias gradients: reductions over leading axes (others fall back).
  reduce('Sum', [64, 14, 14, 64], [0, 1, 2]),
  reduce('Mean', [64, 7, 7, 128], [2, 0, 1], true),
  reduce('Mean', [64, 6272], 0),
  reduce('Sum', [64, 1], [0, 1]),
  reduce('Sum', [5, 7, 3], 1),
  // Elementwise ops: equal shapes, scalars, per-channel rows; other broadcasts fall back.
  binary('Add', [64, 14, 14, 64], [64]),
  binary('Sub', [1, 1, 1, 128], [3, 7, 7, 128]),
  binary('Multiply', [4, 4, 64, 128], []),
  binary('RealDiv', [1], [1001]),
  binary('Add', [1001], [1001]),
  binary('Multiply', [6, 1], [1, 5]),
  unary('Square', [64, 7, 7, 128]),
  unary('Sqrt', [1001], {}, true),
  unary('Rsqrt', [33, 7], {}, true),
  unary('Neg', [5, 3]),
  unary('Relu', [64, 14, 14, 64]),
  unary('Step', [64, 6272], { alpha: 0.2 }),
  unary('ZerosLike', [7, 9]),
  unary('OnesLike', [4, 4, 64, 128]),
];

async function runOn(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  // Return the tensor, not its data, from tidy: tidy walks a returned typed array element by element.
  const out = tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) inputs[k] = tf.tensor(v.data, v.shape);
    return tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
  });
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

function relativeError(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Runs `build` in a tidy, reads its tensors back and checks that no tensor leaked. */
function readBack(build: () => tf.Tensor[]): Float32Array[] {
  const before = tf.memory().numTensors;
  const outs = tf.tidy(build);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before);
  return data;
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

it('the native addon is built and loads', { skip: missing !== null && !inCi ? missing : false }, () => {
  assert.equal(missing, null, `${missing} (the addon is required in CI; the compiler output is in native/build.log)`);
});

describe('native kernels', { skip: missing ?? false }, () => {
  const reference = new Map<string, Float32Array>();
  // Calls per addon entry point, to check the kernels under test really ran natively.
  const calls = new Map<string, number>();

  before(async () => {
    const native = nativeAddon()! as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of ['matmul', 'conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'reduceRows', 'binary', 'unary',
      'batchNormForward', 'batchNormBackward', 'preluForward', 'preluBackward']) {
      const f = native[name]!;
      native[name] = (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return f(...args);
      };
    }
    // The integration path: initBackend runs the hook after Gantry's own wasm kernels are registered.
    installNativeKernelHook();
    await initBackend('wasm', { quiet: true });
    assert.ok(nativeKernelsRegistered());
    for (const c of CASES) reference.set(c.name, await runOn('cpu', c));
  });

  after(async () => {
    unregisterNativeKernels();
    loadNativeKernels({ threads: 0 });
    await tf.setBackend('cpu');
  });

  for (const isa of isas) {
    for (const threads of [1, 2]) {
      it(`match the cpu backend (${isa}, ${threads} thread${threads > 1 ? 's' : ''})`, async () => {
        assert.equal(loadNativeKernels({ threads, isa }).isa, isa);
        calls.clear();
        const before = tf.memory().numTensors;
        const failures: string[] = [];
        for (const c of CASES) {
          const err = relativeError(await runOn('wasm', c), reference.get(c.name)!);
          if (!(err < 1e-4)) failures.push(`${c.name}: relative error ${err.toExponential(2)}`);
        }
        assert.deepEqual(failures, []);
        assert.equal(tf.memory().numTensors, before);
        assert.deepEqual([...calls.keys()].sort(),
          ['binary', 'conv2d', 'conv2dBackpropFilter', 'conv2dBackpropInput', 'matmul', 'reduceRows', 'unary']);
      });
    }
  }

  it('give bit-identical results on repeated runs and for 1 and 2 threads', async () => {
    for (const c of CASES.filter((k) => k.name.startsWith('mnist') || k.name.startsWith('odd k5') || k.name.startsWith('dense'))) {
      loadNativeKernels({ threads: 1 });
      const one = await runOn('wasm', c);
      loadNativeKernels({ threads: 2 });
      const first = await runOn('wasm', c);
      const second = await runOn('wasm', c);
      assert.ok(bitsEqual(first, second), `${c.name}: two runs differ`);
      assert.ok(bitsEqual(one, first), `${c.name}: 1 and 2 threads differ`);
    }
  });

  it('fuse bias and activation for fused conv2d and matMul', async () => {
    loadNativeKernels({ threads: 2 });
    const x = rand([2, 9, 9, 5]), w = rand([3, 3, 5, 7]), bias = rand([7]);
    const a = rand([6, 11]), b = rand([11, 7]);
    const run = async (backend: 'cpu' | 'wasm', activation: 'relu' | 'leakyrelu' | 'elu' | 'sigmoid') => {
      await tf.setBackend(backend);
      const outs = tf.tidy(() => {
        const y1 = tf.fused.conv2d({ x: tf.tensor4d(x.data, x.shape as [number, number, number, number]),
          filter: tf.tensor4d(w.data, w.shape as [number, number, number, number]), strides: 2, pad: 'same',
          bias: tf.tensor1d(bias.data), activation, leakyreluAlpha: 0.2 });
        const y2 = tf.fused.matMul({ a: tf.tensor2d(a.data, a.shape as [number, number]),
          b: tf.tensor2d(b.data, b.shape as [number, number]), bias: tf.tensor1d(bias.data), activation, leakyreluAlpha: 0.2 });
        return [y1, y2];
      });
      const data = outs.map((t) => t.dataSync() as Float32Array);
      tf.dispose(outs);
      return data;
    };
    for (const activation of ['relu', 'leakyrelu', 'elu', 'sigmoid'] as const) {
      const [want1, want2] = await run('cpu', activation);
      const [got1, got2] = await run('wasm', activation);
      assert.ok(relativeError(got1!, want1!) < 1e-5, `fused conv2d ${activation}`);
      assert.ok(relativeError(got2!, want2!) < 1e-5, `fused matMul ${activation}`);
    }
  });

  it('fuse batch normalisation, forward and gradients, like the composite ops', async () => {
    loadNativeKernels({ threads: 2 });
    for (const shape of [[64, 7, 7, 128], [64, 6272], [3, 5, 5, 7]]) {
      const c = shape[shape.length - 1]!;
      const x = rand(shape), gamma = rand([c]), beta = rand([c]), w = rand(shape);
      const run = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        return readBack(() => {
          const xt = tf.tensor(x.data, shape), gt = tf.tensor1d(gamma.data), bt = tf.tensor1d(beta.data);
          const wt = tf.tensor(w.data, shape);
          // A weighted sum as the loss, so every element of dy differs.
          const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y, wt));
          const grads = tf.grads(f)([xt, gt, bt]);
          const { y, mean, variance } = batchNormTraining(xt, gt as tf.Tensor1D, bt as tf.Tensor1D, 1e-5);
          return [y, mean, variance, ...grads];
        });
      };
      const want = await run('cpu');
      calls.clear();
      const got = await run('wasm');
      assert.ok((calls.get('batchNormForward') ?? 0) > 0 && (calls.get('batchNormBackward') ?? 0) > 0);
      ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        const err = relativeError(got[i]!, want[i]!);
        assert.ok(err < 1e-4, `batchNorm [${shape}] ${name}: relative error ${err.toExponential(2)}`);
      });
    }
  });

  it('fuse instance normalisation, forward and gradients, like the composite ops', async () => {
    loadNativeKernels({ threads: 2 });
    for (const shape of [[4, 16, 16, 128], [3, 5, 4, 7]]) {
      const c = shape[3]!;
      const x = rand(shape), gamma = rand([c]), beta = rand([c]), w = rand(shape);
      const composite = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const centred = tf.sub(a, tf.mean(a, [1, 2], true));
        const variance = tf.mean(tf.square(centred), [1, 2], true);
        return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), g), b);
      };
      const run = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        return readBack(() => {
          const xt = tf.tensor(x.data, shape), gt = tf.tensor1d(gamma.data), bt = tf.tensor1d(beta.data);
          const wt = tf.tensor(w.data, shape);
          const norm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            backend === 'cpu' ? composite(a, g, b) : instanceNormFused(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
          const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(norm(a, g, b), wt)))([xt, gt, bt]);
          return [norm(xt, gt, bt), ...grads];
        });
      };
      const want = await run('cpu');
      calls.clear();
      const got = await run('wasm');
      assert.equal(calls.get('batchNormForward'), 2 * shape[0]!, 'one fused forward per sample (and call)');
      assert.equal(calls.get('batchNormBackward'), shape[0]!, 'one fused backward per sample');
      ['y', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        const err = relativeError(got[i]!, want[i]!);
        assert.ok(err < 1e-4, `instanceNorm [${shape}] ${name}: relative error ${err.toExponential(2)}`);
      });
    }
  });

  it('fuse PReLU, forward and gradients, like the composite ops; twiceDifferentiable keeps the composite', async () => {
    // Shared slope (SRGAN's nn.PReLU()) large enough to split across threads, per-channel slopes, odd sizes.
    for (const [shape, slopes] of [[[4, 32, 32, 64], 1], [[2, 9, 9, 64], 64], [[3, 5, 7], 7], [[5], 1]] as Array<[number[], number]>) {
      const x = rand(shape), w = rand(shape);
      for (let i = 0; i < x.data.length; i += 17) x.data[i] = 0; // PReLU's kink
      const alpha = { shape: [slopes], data: rng.uniformArray(slopes, 0, 0.5) };
      const run = async (backend: 'cpu' | 'wasm', threads = 1) => {
        loadNativeKernels({ threads });
        await tf.setBackend(backend);
        return readBack(() => {
          const xt = tf.tensor(x.data, shape), at = tf.tensor(alpha.data, alpha.shape), wt = tf.tensor(w.data, shape);
          const grads = tf.grads((a: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(prelu(a, s), wt)))([xt, at]);
          return [prelu(xt, at), ...grads];
        });
      };
      const want = await run('cpu');
      calls.clear();
      const got = await run('wasm');
      assert.equal(calls.get('preluForward'), 2, 'one fused forward per call');
      assert.equal(calls.get('preluBackward'), 1, 'one fused backward');
      ['y', 'dx', 'dalpha'].forEach((name, i) => {
        const err = relativeError(got[i]!, want[i]!);
        assert.ok(err < 1e-4, `prelu [${shape}] slopes ${slopes} ${name}: relative error ${err.toExponential(2)}`);
      });
      const two = await run('wasm', 2);
      two.forEach((t, i) => assert.ok(bitsEqual(t, got[i]!), `prelu [${shape}]: output ${i} differs between 1 and 2 threads`));
    }
    // A gradient penalty's second-order gradient: the composite form, whose d²/dx dalpha is 1 − step(x).
    const x = rand([2, 6, 6, 8]);
    const second = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const at = tf.tensor1d([0.25]);
        const g = tf.grad((s: tf.Tensor) => tf.sum(tf.square(tf.grad((a: tf.Tensor) => tf.sum(tf.square(prelu(a, s, { twiceDifferentiable: true }))))(tf.tensor(x.data, x.shape)))));
        return g(at).dataSync() as Float32Array;
      });
    };
    const want = await second('cpu');
    calls.clear();
    const got = await second('wasm');
    assert.equal(calls.get('preluForward'), undefined, 'twiceDifferentiable: no fused kernel');
    assert.ok(relativeError(got, want) < 1e-4 && Math.abs(want[0]!) > 0);
  });

  it('follow TF.js on NaN for Step and Relu', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([NaN, -1, 0, 2]);
    const [step, relu] = [tf.step(x, 0.2), tf.relu(x)];
    assert.deepEqual(Array.from(step.dataSync()), [NaN, 0.2, 0.2, 1].map((v) => Math.fround(v)));
    assert.deepEqual(Array.from(relu.dataSync()), [NaN, 0, 0, 2]);
    tf.dispose([x, step, relu]);
  });

  it('reject bad shapes and offsets with clear errors', () => {
    const native = nativeAddon()!;
    const heap = new ArrayBuffer(64);
    assert.throws(() => native.matmul(heap, 0, 0, 0, 1, 1, 1, 5, 5, 5, false, false), /run past the heap/);
    assert.throws(() => native.matmul(heap, 2, 0, 0, 1, 1, 1, 1, 1, 1, false, false), /bad byte offset/);
    assert.throws(() => native.configure(-1, ''), /threads must be/);
    assert.throws(() => native.configure(1, 'sse9'), /not supported/);
  });
});
