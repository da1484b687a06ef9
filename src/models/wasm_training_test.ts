/**
 * First- and second-order gradients of Network models on wasm (with Gantry's kernels) against the
 * `cpu` backend. Per variable, relErr = max|a − b| / max(1e-6, max|b|), b the cpu gradient. A bias
 * directly followed by batch norm has a true gradient of 0 (the normalization cancels it) and a
 * computed one that is rounding noise on both backends: there both must be below 1e-5 · G instead,
 * G the largest cpu gradient entry of the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/backend.ts';
import { Network, type NetworkSpec } from './network.ts';
import { Rng } from '../core/rng.ts';

await initBackend('wasm', { quiet: true });

const B = 4;
const G_SPEC: NetworkSpec = {
  inputShape: [8],
  initStd: 0.2,
  layers: [
    { type: 'dense', units: 4 * 4 * 8 }, { type: 'batchNorm' }, { type: 'act', fn: 'relu' }, { type: 'reshape', shape: [4, 4, 8] },
    { type: 'conv2dTranspose', filters: 6, kernel: 4, stride: 2 }, { type: 'batchNorm' }, { type: 'act', fn: 'relu' },
    { type: 'conv2dTranspose', filters: 1, kernel: 4, stride: 2 }, { type: 'act', fn: 'tanh' },
  ],
};
const D_SPEC: NetworkSpec = {
  inputShape: [16, 16, 1],
  layers: [
    { type: 'conv2d', filters: 6, kernel: 4, stride: 2, pad: 'same' }, { type: 'act', fn: 'lrelu' },
    { type: 'conv2d', filters: 8, kernel: 4, stride: 2, pad: 'same' }, { type: 'batchNorm' }, { type: 'act', fn: 'lrelu' },
    { type: 'flatten' }, { type: 'dense', units: 1 },
  ],
};
const D_SN_SPEC: NetworkSpec = {
  inputShape: [16, 16, 1],
  layers: [
    { type: 'conv2d', filters: 6, kernel: 3, stride: 1, pad: 'same', sn: true }, { type: 'act', fn: 'lrelu' },
    { type: 'conv2d', filters: 8, kernel: 5, stride: 2, pad: 'valid', sn: true }, { type: 'act', fn: 'lrelu' },
    { type: 'flatten' }, { type: 'dense', units: 1, sn: true },
  ],
};
const MLP_SPEC: NetworkSpec = {
  inputShape: [16, 16, 1],
  layers: [
    { type: 'flatten' }, { type: 'dense', units: 32 }, { type: 'act', fn: 'lrelu' },
    { type: 'dense', units: 16 }, { type: 'act', fn: 'tanh' }, { type: 'dense', units: 1 },
  ],
};

/**
 * Gradients w.r.t. G's and D's variables of a GAN critic loss, plus (secondOrder) the R1-style
 * penalty ‖∂ΣD(x)/∂x‖² at the real batch, whose gradient w.r.t. D's weights is second order.
 */
interface NamedGradient {
  name: string;
  values: Float32Array;
  /** The variable is a bias that batch norm cancels: its exact gradient is 0. */
  cancelled: boolean;
}

function cancelledBiases(net: Network): Set<string> {
  const names = new Set<string>();
  net.layers.forEach((layer, i) => {
    const bias = layer.params.bias;
    if (bias && net.layers[i + 1]?.spec.type === 'batchNorm') names.add(bias.name);
  });
  return names;
}

function ganGradients(backend: 'wasm' | 'cpu', dSpec: NetworkSpec, secondOrder: boolean): NamedGradient[] {
  tf.setBackend(backend);
  try {
    const g = new Network('G', G_SPEC, new Rng(1));
    const d = new Network('D', dSpec, new Rng(2));
    const data = new Rng(3);
    const z = tf.tensor(data.normalArray(B * 8), [B, 8]);
    const real = tf.tensor(data.normalArray(B * 256), [B, 16, 16, 1]);
    const vars = [...g.trainable, ...d.trainable];
    const { value, grads } = tf.variableGrads(() => {
      const fake = g.apply(z, { training: true });
      let loss = tf.sub(tf.mean(d.apply(fake, { training: true })), tf.mean(d.apply(real, { training: true })));
      if (secondOrder) {
        const dx = tf.grad((x: tf.Tensor) => tf.sum(d.apply(x, { training: true, twiceDifferentiable: true })))(real);
        loss = tf.add(loss, tf.mul(tf.sum(tf.square(dx)), 0.1));
      }
      return loss as tf.Scalar;
    }, vars);
    const cancelled = new Set([...cancelledBiases(g), ...cancelledBiases(d)]);
    const out = vars.map((v) => ({ name: v.name, values: grads[v.name]!.dataSync() as Float32Array, cancelled: cancelled.has(v.name) }));
    tf.dispose([value, z, real, grads as tf.NamedTensorMap]);
    g.dispose();
    d.dispose();
    return out;
  } finally {
    tf.setBackend('wasm');
  }
}

const maxAbs = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function assertGradientsMatch(wasm: NamedGradient[], cpu: NamedGradient[], tolerance: number, label: string): void {
  const globalMax = Math.max(...cpu.map((g) => maxAbs(g.values)));
  assert.ok(globalMax > 0, `${label}: all cpu gradients are zero`);
  assert.ok(cpu.some((g) => g.cancelled), `${label}: the model should include a bias cancelled by batch norm`);
  wasm.forEach((a, i) => {
    const b = cpu[i]!;
    assert.equal(a.name, b.name);
    if (b.cancelled) {
      assert.ok(maxAbs(a.values) < 1e-5 * globalMax && maxAbs(b.values) < 1e-5 * globalMax,
        `${label}: ${a.name} should have a (numerically) zero gradient`);
      return;
    }
    let diff = 0;
    for (let j = 0; j < a.values.length; j++) diff = Math.max(diff, Math.abs(a.values[j]! - b.values[j]!));
    const err = diff / Math.max(1e-6, maxAbs(b.values));
    assert.ok(err < tolerance, `${label}: ${a.name} relErr ${err.toExponential(2)} ≥ ${tolerance}`);
  });
}

for (const [name, spec] of [['DCGAN D', D_SPEC], ['spectral-norm D', D_SN_SPEC], ['MLP D', MLP_SPEC]] as const) {
  test(`${name}: first-order gradients on wasm match cpu`, () => {
    assertGradientsMatch(ganGradients('wasm', spec, false), ganGradients('cpu', spec, false), 1e-4, name);
  });
  test(`${name}: second-order (R1 penalty) gradients on wasm match cpu`, () => {
    assertGradientsMatch(ganGradients('wasm', spec, true), ganGradients('cpu', spec, true), 1e-4, name);
  });
}

test('repeated second-order steps on wasm leak no tensors or wasm buffers', () => {
  const wasm = tf.backend() as unknown as { numDataIds(): number };
  ganGradients('wasm', D_SPEC, true);
  const tensors = tf.memory().numTensors;
  const buffers = wasm.numDataIds();
  for (let i = 0; i < 3; i++) ganGradients('wasm', D_SPEC, true);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(wasm.numDataIds(), buffers);
});
